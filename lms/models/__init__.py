from .analytics import AggregationState, CollectivitySnapshot, CompetenceEvidence, LearnerCompetenceLevel
from .lrs import ForwardingFailure, ForwardingTarget, LrsAttachment, LrsClient, LrsDocument
from .organisations import Collectivity, Learner, Membership
from .progress import AssessmentAttempt, Enrolment, LessonProgress
from .statements import Statement

__all__ = [
    "AggregationState",
    "AssessmentAttempt",
    "Collectivity",
    "CollectivitySnapshot",
    "CompetenceEvidence",
    "Enrolment",
    "ForwardingFailure",
    "ForwardingTarget",
    "Learner",
    "LearnerCompetenceLevel",
    "LessonProgress",
    "LrsAttachment",
    "LrsClient",
    "LrsDocument",
    "Membership",
    "Statement",
]
