"""Paper-scale versions of the StepMix theory checks (``rlkit verify stepmix --full``): 20 seeds x
20000 episodes on I-A, 12 seeds x 10000 on I-D, 10 seeds x 10000 per alpha, the certificate on
10 seeds x 3000 (and I-B), offline datasets up to 10^5 episodes. Slow (several minutes)."""
from __future__ import annotations

import pytest

from theory_checks import (stepmix_certificate, stepmix_offline, stepmix_regret,
                           stepmix_safety)

CHECKS = {
    "zero_violations": stepmix_safety.zero_violations,
    "certificate_validity": stepmix_certificate.certificate_validity,
    "learning": stepmix_regret.learning,
    "cost_of_conservatism": stepmix_regret.cost_of_conservatism,
    "mixing_necessary": stepmix_regret.mixing_necessary,
    "alpha_monotone": stepmix_regret.alpha_monotone,
    "offline": stepmix_offline.offline,
}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(CHECKS))
def test_paper_scale_check(name):
    rows = CHECKS[name](True)
    bad = [r for r in rows if not r.ok]
    assert rows and not bad, "\n".join(f"{r.check} | {r.instance} | {r.measured}" for r in bad)
