"""Running read in fragments (issue 12, round 16, branch danger-runloit). Near the camera a
staged runner's lap crosses the picture in about a second and the tracker cuts it into tracks
of 0.6-1 s, each giving one or two fast readings (staged seed 561, 13.6 m: six tracks, none
fast for more than 0.2 s, handed on by ``handoff_m`` but adding up to nothing, since a track's
first fast reading started its count at 0). Each fast reading now counts its frame's step
(``rules.running.count_first``, on since round 18). The behaviour case fails on f8d78be and
with the key off; the controls stay quiet on both."""

from pipeline.danger.config import DangerConfig
from test_s28_running import _runner, _running


ON = DangerConfig.model_validate({"rules": {"running": {"count_first": True}}})
OFF = DangerConfig.model_validate({"rules": {"running": {"count_first": False}}})


def _fragments(laps: int, seen_s: float = 1.1, turn_s: float = 0.7, back_m: float = 3.0,
               speed: float = 5.0):
    """``laps`` laps along y 12 at ``speed`` m/s, each seen ``seen_s`` (one or two fast
    readings: a track's first fit comes 0.8 s after its first sample), unseen ``turn_s`` between laps; each lap
    comes into sight ``back_m`` short of where the last one was lost, running the other way."""
    period = seen_s + turn_s

    def at(t: float):
        k, into = divmod(t, period)
        if k >= laps or into >= seen_s:
            return None
        if int(k) % 2 == 0:
            return _runner(-2.0 + speed * into, 12.0)
        return _runner(-2.0 + speed * seen_s - back_m - speed * into, 12.0)
    return at, laps * period + 1.0


def test_a_runner_cut_into_one_reading_tracks_is_running():
    # four laps of one or two readings each: 0.2 s each counted, 1.2 s by the third lap;
    # counted from 0 at each track's first reading, 0.8 s after the fourth
    person, seconds = _fragments(laps=4)
    assert len(_running(person, seconds, ON)) == 1
    assert _running(person, seconds, OFF) == []  # round 15's count


def test_a_short_fast_blip_is_not_running():
    # control: one track read fast in three frames (0.6 s with its first frame's step)
    person, seconds = _fragments(laps=1, seen_s=1.3)
    assert _running(person, seconds, OFF) == [] and _running(person, seconds, ON) == []


def test_a_brisk_walk_in_fragments_is_not_running():
    # control: the same fragments at a brisk walk (2.2 m/s, the near misses' top speed)
    person, seconds = _fragments(laps=4, speed=2.2)
    assert _running(person, seconds, ON) == []


def test_coasting_time_after_one_fast_reading_is_not_fast_time():
    # tune seed 79 (790.0 s, baseline tail): a track read fast once, coasted 1 s unseen, and
    # was re-associated 5.3 m off reading fast again: the unseen second counted as fast
    # (0.2 + 1.0 s = sustain_s with count_first). The clock now stops while it is unseen.
    def person(t: float):
        if t < 0.9 or 2.0 <= t < 2.3:
            return _runner(-6.0 + 5.0 * t, 12.0)
        return None
    assert _running(person, 4.0, ON) == []
