from .accounts import AuditLogEntry, ExternalIdentity, LoginFailure
from .analytics import (
    AggregationState,
    CollectivitySnapshot,
    CompetenceEvidence,
    EvidenceKind,
    LearnerCompetenceLevel,
    LearnerLevelHistory,
    PendingRun,
)
from .lrs import ForwardingFailure, ForwardingTarget, LrsAttachment, LrsClient, LrsDocument
from .organisations import AggregateSharing, Collectivity, ErasedMember, Learner, Membership, Service
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
    "ErasedMember",
    "EvidenceKind",
    "ForwardingFailure",
    "ForwardingTarget",
    "Learner",
    "LearnerCompetenceLevel",
    "LearnerLevelHistory",
    "LessonProgress",
    "LrsAttachment",
    "LrsClient",
    "LrsDocument",
    "Membership",
    "PendingRun",
    "SelfAssessment",
    "Statement",
]
