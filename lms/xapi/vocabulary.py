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

COURSE = Term(ADL_ACTIVITIES + "course", "formation", "course")
LESSON = Term(ADL_ACTIVITIES + "lesson", "séquence", "lesson")
ASSESSMENT = Term(ADL_ACTIVITIES + "assessment", "évaluation", "assessment")
OBJECTIVE = Term(ADL_ACTIVITIES + "objective", "compétence", "objective")

#: Context extension: the levels a passed assessment validates, ``[{"competence": <uri>, "level": <int>}]``.
EXT_VALIDATED_LEVELS = PROFILE_ID + "/extensions/validated-levels"
#: Context activity category marking statements that follow Tremplin's profile.
PROFILE_CATEGORY = PROFILE_ID
#: Context extension: the levels a self-assessment declares (same shape as validated-levels).
EXT_DECLARED_LEVELS = PROFILE_ID + "/extensions/declared-levels"
