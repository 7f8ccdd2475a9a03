"""The one rule for kinship and ageing of random draws (sim.faces.geometry.inherit_and_age)."""

import dataclasses

import numpy as np

from sim.faces import make_identity
from sim.faces.geometry import inherit_and_age

OWN, FAMILY, LATER = np.array([1.0, 0.0]), np.array([0.0, 1.0]), np.array([-1.0, 0.0])


def _calls(idt):
    called = []

    def family():
        called.append("family")
        return FAMILY

    def later():
        called.append("later")
        return LATER
    return inherit_and_age(idt, OWN, family, later, 1.5), called


def test_an_unrelated_identity_of_today_keeps_its_own_draw_and_draws_nothing_else():
    z, called = _calls(make_identity((5, 1)))
    assert np.array_equal(z, OWN) and called == []


def test_a_relative_shares_kin_share_of_the_draw_and_keeps_its_spread():
    idt = dataclasses.replace(make_identity((5, 1)), kin_seed=7, kin_share=0.6)
    z, called = _calls(idt)
    assert called == ["family"]
    assert np.allclose(z, [0.8, 0.6]) and np.isclose(np.linalg.norm(z), 1.0)


def test_years_rotate_the_draw_into_a_new_one_and_stop_after_fifteen():
    idt = make_identity((5, 1))
    ten, _ = _calls(dataclasses.replace(idt, drift=10.0))
    assert np.allclose(ten, [np.cos(1.5) - np.sin(1.5), 0.0])
    thirty, _ = _calls(dataclasses.replace(idt, drift=30.0))
    fifteen, _ = _calls(dataclasses.replace(idt, drift=15.0))
    assert np.allclose(thirty, fifteen)
