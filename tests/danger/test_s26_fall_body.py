"""The fall rule's blur margin reads the site's configured body too (the lead's merge of round
10: danger-tg made the bag and tailgating rules read ``cfg.body``, danger-fall's lying-height
bound converted the margin with the default body). Fails before the merge mend (the default
1.7 m body whatever the config says)."""

from types import SimpleNamespace

from pipeline.danger.config import DangerConfig
from pipeline.danger.rules import FallRule, make_rules


class _Spot:  # a scene whose lying body reads 1.0 m everywhere (unit test of the bound only)
    def lying_height_m(self, xy):
        return 1.0


def _fall_rule(body: dict) -> FallRule:
    return next(r for r in make_rules(DangerConfig(body=body)) if isinstance(r, FallRule))


def test_the_lying_bound_reads_the_site_body():
    # 1.26 m at 50 px a body, margin 4 px a side: 1.26 - 8 * 1.7 / 50 = 0.988 m with the default
    # body (within the 1.0 m a lying body reads there), 1.26 - 8 * 1.5 / 50 = 1.02 m where
    # people are configured 1.5 m tall (taller than any lying body: someone standing)
    q = SimpleNamespace(height_m=1.26, person_px=50.0, x=0.0, y=0.0)
    assert not _fall_rule({})._too_tall(_Spot(), q)
    assert _fall_rule({"person_height_m": 1.5})._too_tall(_Spot(), q)
