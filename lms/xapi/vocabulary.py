"""The xAPI vocabulary Tremplin speaks: ADL verbs and activity types, and Tremplin's own extensions.

Each verb and activity type carries its ``fr-FR`` and ``en-US`` displays, used in every statement.
"""

from dataclasses import dataclass

ADL_VERBS = "http://adlnet.gov/expapi/verbs/"
ADL_ACTIVITIES = "http://adlnet.gov/expapi/activities/"
#: Tremplin's xAPI profile; its extensions live under this IRI.
PROFILE_ID = "https://w3id.org/tremplin/xapi"


@dataclass(frozen=True)
class Term:
    id: str
    fr: str
    en: str

    @property
    def display(self) -> dict[str, str]:
        return {"fr-FR": self.fr, "en-US": self.en}


REGISTERED = Term(ADL_VERBS + "registered", "s'est inscrit à", "registered")
EXPERIENCED = Term(ADL_VERBS + "experienced", "a consulté", "experienced")
PASSED = Term(ADL_VERBS + "passed", "a réussi", "passed")
FAILED = Term(ADL_VERBS + "failed", "a échoué à", "failed")
COMPLETED = Term(ADL_VERBS + "completed", "a terminé", "completed")
#: Voids the statement its object refers to (handled by the LRS, never emitted by Tremplin).
VOIDED = Term(ADL_VERBS + "voided", "a annulé", "voided")

COURSE = Term(ADL_ACTIVITIES + "course", "formation", "course")
LESSON = Term(ADL_ACTIVITIES + "lesson", "séquence", "lesson")
ASSESSMENT = Term(ADL_ACTIVITIES + "assessment", "évaluation", "assessment")
OBJECTIVE = Term(ADL_ACTIVITIES + "objective", "compétence", "objective")

#: Context extension: the levels a passed assessment validates, ``[{"competence": <uri>, "level": <int>}]``.
EXT_VALIDATED_LEVELS = PROFILE_ID + "/extensions/validated-levels"
#: Context activity category marking statements that follow Tremplin's profile.
PROFILE_CATEGORY = PROFILE_ID

#: Context extension naming where the evidence of a statement comes from, e.g. ``"pix"`` for a Pix campaign.
EXT_EVIDENCE_SOURCE = PROFILE_ID + "/extensions/evidence-source"
#: Context activity category of statements imported from Pix (its public site).
PIX_CATEGORY = "https://pix.fr"

ANSWERED = Term(ADL_VERBS + "answered", "a répondu à", "answered")
LAUNCHED = Term(ADL_VERBS + "launched", "a lancé", "launched")

MODULE = Term(ADL_ACTIVITIES + "module", "module", "module")
#: A self-assessment (positionnement): the learner declares their level; never evidence of a level.
SELF_ASSESSMENT = Term(PROFILE_ID + "/activity-types/self-assessment", "positionnement", "self-assessment")
#: An external activity (an xAPI package or a URL) launched from a lesson.
EXTERNAL_ACTIVITY = Term(ADL_ACTIVITIES + "simulation", "activité externe", "external activity")

#: Context extension: the levels a learner declares in a self-assessment,
#: ``[{"competence": <uri>, "level": <int>}]``; kept apart from validated levels by the analytics.
EXT_DECLARED_LEVELS = PROFILE_ID + "/extensions/declared-levels"
#: Context extension: when a self-assessment was taken, ``"before"`` or ``"after"`` the course.
EXT_SELF_ASSESSMENT_MOMENT = PROFILE_ID + "/extensions/self-assessment-moment"
#: Context extension of a ``registered`` statement made by an HR assignment: the due date (ISO 8601 date).
EXT_DUE_DATE = PROFILE_ID + "/extensions/due-date"
#: Context extension of a ``registered`` statement: how the learner was enrolled,
#: ``"self"``, ``"person"``, ``"job_profile"`` or ``"service"``.
EXT_ENROLMENT_KIND = PROFILE_ID + "/extensions/enrolment-kind"
