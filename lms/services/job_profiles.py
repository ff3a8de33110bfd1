"""The gap between a person's validated levels and the targets of their job profile."""

from competences.services import Gap, job_profile_gaps
from lms.models import Learner, LearnerCompetenceLevel, Membership


def learner_levels(user) -> dict[int, int]:
    """Return ``user``'s validated level per competence id, read from ``LearnerCompetenceLevel``."""
    learner = Learner.objects.filter(user=user).first()
    if learner is None:
        return {}
    return dict(
        LearnerCompetenceLevel.objects.filter(actor_name=str(learner.actor_name)).values_list(
            "competence_id", "level"
        )
    )


def membership_gaps(membership: Membership) -> list[Gap]:
    """Return, per target of the membership's job profile, the person's level, the target and the gap.

    Levels validated on other frameworks or older versions count through the competence mappings
    (see :func:`competences.services.map_levels`).

    Returns:
        One :class:`competences.services.Gap` per target; empty when the membership has no job profile.
    """
    if membership.job_profile_id is None:
        return []
    return job_profile_gaps(learner_levels(membership.user), membership.job_profile)
