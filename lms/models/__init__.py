from .analytics import AggregationState, CollectivitySnapshot, CompetenceEvidence, LearnerCompetenceLevel
from .organisations import Collectivity, Learner, Membership
from .progress import AssessmentAttempt, Enrolment, LessonProgress, SelfAssessment
from .statements import Statement

__all__ = [
    "AggregationState",
    "AssessmentAttempt",
    "Collectivity",
    "CollectivitySnapshot",
    "CompetenceEvidence",
    "Enrolment",
    "Learner",
    "LearnerCompetenceLevel",
    "LessonProgress",
    "Membership",
    "SelfAssessment",
    "Statement",
]
