"""Conservative exploration under episode-wise constraints (Li, Huang, Shen & Yang, ICML 2023):
StepMix, EpsMix, the Switch control, the Baseline, and the offline-data variants.
See ``docs/stepmix.md`` and ``specs/stepmix.md``."""
from agents.conservative.baseline import Baseline, BaselineParams
from agents.conservative.common import ConservativeAgent, ConservativeParams, ConservativeState
from agents.conservative.epsmix import EpsMix, EpsMixParams
from agents.conservative.offline import (InsufficientData, OfflineCertificate, OfflineEpsMix,
                                         OfflineEpsMixParams, OfflineStepMix,
                                         OfflineStepMixParams, certify_offline, offline_params)
from agents.conservative.stepmix import StepMix, StepMixParams
from agents.conservative.switch import SwitchParams

__all__ = [
    "Baseline", "BaselineParams", "ConservativeAgent", "ConservativeParams", "ConservativeState",
    "EpsMix", "EpsMixParams", "InsufficientData", "OfflineCertificate", "OfflineEpsMix",
    "OfflineEpsMixParams", "OfflineStepMix", "OfflineStepMixParams", "certify_offline",
    "offline_params", "StepMix", "StepMixParams", "SwitchParams",
]
