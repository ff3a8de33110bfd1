from .analytics import (
    AggregationState,
    CollectivitySnapshot,
    CompetenceEvidence,
    EvidenceKind,
    LearnerCompetenceLevel,
    LearnerLevelHistory,
    PendingRun,
)
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
    "EvidenceKind",
    "Learner",
    "LearnerCompetenceLevel",
    "LearnerLevelHistory",
    "LessonProgress",
    "Membership",
    "PendingRun",
    "Statement",
]
