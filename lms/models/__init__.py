from .accounts import AuditLogEntry, ExternalIdentity, LoginFailure
from .analytics import AggregationState, CollectivitySnapshot, CompetenceEvidence, LearnerCompetenceLevel
from .organisations import AggregateSharing, Collectivity, Learner, Membership, Service
from .progress import AssessmentAttempt, Enrolment, LessonProgress
from .statements import Statement

__all__ = [
    "AggregateSharing",
    "AuditLogEntry",
    "ExternalIdentity",
    "LoginFailure",
    "Service",
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
    "Statement",
]
