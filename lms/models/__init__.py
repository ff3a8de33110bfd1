from .accounts import AuditLogEntry, ExternalIdentity, LoginFailure
from .analytics import AggregationState, CollectivitySnapshot, CompetenceEvidence, LearnerCompetenceLevel
from .lrs import ForwardingFailure, ForwardingTarget, LrsAttachment, LrsClient, LrsDocument
from .organisations import AggregateSharing, Collectivity, Learner, Membership, Service
from .progress import AssessmentAttempt, Enrolment, LessonProgress, SelfAssessment
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
    "ForwardingFailure",
    "ForwardingTarget",
    "Learner",
    "LearnerCompetenceLevel",
    "LessonProgress",
    "LrsAttachment",
    "LrsClient",
    "LrsDocument",
    "Membership",
    "SelfAssessment",
    "Statement",
]
