"""Planner: waits per processor and class, queues over time, IATA level of service (waits and
m² per traveler), utilisation, and runs or sweep points side by side."""

import streamlit as st

from dashboard import data, figures, figures_plan, measures, measures_cctv, ui
from outputs.header import FolderError

st.title("Planner")
st.caption("Queue waits, queue lengths, IATA ADRM level of service and utilisation of each "
           "run; pick two or more runs (or sweep points) to compare layouts side by side.")

idx = ui.results()
ui.show_problems(idx)
if not idx.runs and not idx.sweeps:
    ui.nothing_here(idx, "run folders or sweeps",
                    "Make one with `airtwin run SCENARIO.yaml --out DIR/NAME` or "
                    "`airtwin sweep SCENARIO.yaml --set PATH=V1,V2 --out DIR/NAME`.")
    st.stop()


def _readable_runs() -> dict[str, tuple]:
    """label → (Found, summary, scenario) of the runs whose summary reads; others warned."""
    out = {}
    for f in idx.runs:
        try:
            summary, scenario = data.run_meta(str(f.path), f.stamp)
        except FolderError as exc:
            st.warning(f"Skipped a run folder: {exc}")
            continue
        if measures_cctv.is_cctv_run(summary):
            continue  # a CCTV identification run: the stakeholder and engineer pages show it
        out[f.label] = (f, summary, scenario)
    return out


def _sweep_points() -> dict[str, tuple]:
    """label → (None, point summary, None) for every finished sweep point."""
    out = {}
    for s in idx.sweeps:
        try:
            _, points, _ = data.sweep(str(s.path), s.stamp)
        except FolderError:
            continue  # reported in the sweep section
        for p in points:
            out[f"{s.label} · {measures.point_label(p)}"] = (None, p, None)
    return out


@st.cache_data(show_spinner=False, max_entries=16)
def _plan_figure(paths: tuple, start_s: float, length_s: float, heatmap: bool) -> dict | None:
    """The animation of the runs at ``paths`` ((label, path, stamp) each); None when a run has
    no plan tables (written before they existed, or with --no-plan)."""
    runs = []
    for label, path, stamp in paths:
        summary, _ = data.run_meta(path, stamp)
        if not all(name in summary.get("tables", {}) for name in PLAN_TABLES):
            return None
        t = {name: data.run_table(path, stamp, name) for name in PLAN_TABLES}
        runs.append(figures_plan.PlanTables(label, t["plan_zones"], t["plan_positions"],
                                            t["plan_processors"], t["density_cells"]))
    times = figures_plan.frame_times(runs, start_s, length_s)
    return figures_plan.plan_animation(runs, times, heatmap) if len(times) else None


PLAN_TABLES = ("plan_zones", "plan_positions", "plan_processors", "density_cells")


def _plan_section(full: dict) -> None:
    labels = list(full)[:2]
    horizon = min(float(full[k][1].get("horizon_s") or 0.0) for k in labels)
    c1, c2, c3 = st.columns(3)
    start_min = c1.number_input("From (minutes since start)", 0, max(int(horizon // 60) - 1, 0),
                                0, step=5, key="plan_start")
    length_min = c2.selectbox("Window (minutes)", [5, 10, 20, 30, 60], index=2,
                              key="plan_window")
    heatmap = c3.checkbox("Density heatmap (persons/m², 2 m cells)", True, key="plan_heat")
    paths = tuple((k, str(full[k][0].path), full[k][0].stamp) for k in labels)
    fig = _plan_figure(paths, 60.0 * start_min, 60.0 * length_min, heatmap)
    if fig is None:
        st.info("These runs have no plan tables: rerun them with `airtwin run` (plan tables "
                "are on by default), or pick a window inside their horizon.")
        return
    st.caption(f"{', '.join(labels)}: travelers (dots by what they are doing) and processors "
               "(squares: busy, idle, closed) sampled every 10 s, replication 0; press Play "
               "or drag the slider. Two runs play side by side at the same moment.")
    st.plotly_chart(fig, key="plan_animation")
    for k in labels:
        ped = data.extra_table(str(full[k][0].path), full[k][0].stamp, "ped_summary")
        if ped is not None and len(ped):
            r = ped.iloc[0]
            st.caption(f"**{k}** is a pedestrian-mode run: JuPedSim walked "
                       f"{r['travelers']:.0f} travelers through the immigration hall (up to "
                       f"{r['max_in_hall']:.0f} at once); their wait from reaching the queue "
                       f"to being called: mean {measures.fmt(r['hall_wait_mean_s'], 's')}, 95th "
                       f"percentile {measures.fmt(r['hall_wait_p95_s'], 's')} (the fast mode "
                       f"gave the same travelers {measures.fmt(r['fast_wait_mean_s'], 's')} and "
                       f"{measures.fmt(r['fast_wait_p95_s'], 's')}).")
    worst = {k: data.extra_table(str(full[k][0].path), full[k][0].stamp, "density_worst")
             for k in labels}
    for k, w in worst.items():
        if w is not None and len(w):
            st.caption(f"Most crowded moments ({k}): m² per traveler, IATA ADRM status and "
                       "Fruin level of service")
            st.dataframe(w.assign(time=[measures.fmt_clock(t) for t in w["t"]])[
                ["rank", "time", "zone", "travelers", "m2_per_pax", "iata_status",
                 "fruin_los"]].round(2), width="stretch", hide_index=True)


runs = _readable_runs()
choices = {**runs, **_sweep_points()}
default = list(runs)[:3] or list(choices)[:2]
chosen = st.multiselect("Runs to show (two or more: side by side)", list(choices),
                        default=default, key="planner_runs",
                        help="Every run folder under the results folder, and every finished "
                             "point of each sweep (sweep points keep headline figures only).")
full = {label: choices[label] for label in chosen if choices[label][0] is not None}

# --- headline comparison ---------------------------------------------------------------------
st.header("Headline figures")
with ui.panel("the headline figures", idx.root):
    if not chosen:
        st.info("Pick at least one run above.")
    else:
        for label in chosen:
            if choices[label][0] is not None:
                st.caption(f"**{label}**: {ui.run_label(choices[label][1])}")
        long = measures.headline_long({label: choices[label][1] for label in chosen})
        st.table(measures.headline_table(figures_plan.worded_headline(long)))
        st.caption("Mean over replications and its 95% confidence interval (t-distribution).")
        metrics = list(dict.fromkeys(long["metric"]))
        if metrics:
            pick = st.selectbox("Compare one metric", metrics,
                                index=metrics.index("immigration_wait_p95_s")
                                if "immigration_wait_p95_s" in metrics else 0)
            st.plotly_chart(figures.headline_bars(long, pick), key="headline_bars")

if len(chosen) >= 2:
    with ui.panel("the scenario differences", idx.root):
        scen = {}
        for label in chosen:
            found, summary, scenario = choices[label]
            if scenario is None and found is None:  # a sweep point: read its scenario.json
                point_dir = summary.get("_path")
                scenario = data.run_meta(point_dir, 0.0)[1] if point_dir else None
            scen[label] = scenario
        diff = measures.scenario_differences(scen)
        st.subheader("What differs between them")
        if diff.empty:
            st.info("The scenarios are identical (only seeds or horizons may differ).")
        else:
            st.table(diff)

if not full:
    st.info("Pick a run folder (not only sweep points) for waits, queues, level of service "
            "and utilisation.")
else:
    def tables(name: str, shape) -> dict:
        return {label: shape(data.run_table(str(f.path), f.stamp, name))
                for label, (f, _, _) in full.items()}

    st.header("The floor plan over time")
    with ui.panel("the animated floor plan", ", ".join(full)):
        _plan_section(full)

    st.header("Queue waits per processor and class")
    with ui.panel("the waits", ", ".join(full)):
        waits = tables("kpi_waits", measures.wait_percentiles)
        classes = sorted(set().union(*(set(w["cls"]) for w in waits.values())),
                         key=lambda c: (c != "all", c))
        c1, c2 = st.columns(2)
        stat = c1.selectbox("Statistic", list(figures.STAT_NAMES), index=2,
                            format_func=figures.STAT_NAMES.get)
        cls = c2.selectbox("Traveler class", classes)
        st.plotly_chart(figures.wait_bars(waits, stat, cls), key="wait_bars")
        with st.expander("All waits (seconds, mean over replications)"):
            for label, w in waits.items():
                st.caption(label)
                st.dataframe(w.round(1), width="stretch", hide_index=True)

    st.header("Queue length over time")
    with ui.panel("the queue lengths", ", ".join(full)):
        st.plotly_chart(figures.queue_lines(tables("kpi_queue_series", measures.queue_series)),
                        key="queue_lines")

    st.header("Level of service (IATA ADRM)")
    with ui.panel("the level of service", ", ".join(full)):
        waits = tables("kpi_waits", measures.wait_percentiles)
        rows = []
        for label, w in waits.items():
            for r in measures.waits_by_kind(w).itertuples():
                rows.append({"run": label, "processor kind": r.kind,
                             "target": measures.fmt(r.target_s, "s"),
                             "waits within target": measures.fmt(r.within_target, "share"),
                             "p95 wait": measures.fmt(r.p95_s, "s")})
        st.subheader("Waits against their targets")
        st.dataframe(rows, width="stretch", hide_index=True)
        st.subheader("Space per traveler")
        space = tables("kpi_space", lambda d: d)
        st.plotly_chart(figures.space_lines({k: measures.space_series(v) for k, v in
                                             space.items()}), key="space_lines")
        st.caption("Share of 5-minute periods in each band (all replications):")
        for label, s in space.items():
            shares = measures.space_status_shares(s)
            st.dataframe(shares.style.format({c: "{:.0%}" for c in measures.SPACE_STATUSES}),
                         width="stretch", hide_index=True, column_config={
                             "zone": st.column_config.TextColumn(f"zone ({label})")})

    st.header("Utilisation")
    with ui.panel("the utilisation", ", ".join(full)):
        st.plotly_chart(figures.utilisation_bars(tables("kpi_utilisation", measures.utilisation)),
                        key="util_bars")

# --- sweeps ----------------------------------------------------------------------------------
SWEEP_TABLE = ["immigration_wait_p95_s", "desk_wait_p95_s", "egate_wait_p95_s", "los_share_desk",
               "egate_utilisation", "desk_utilisation", "hall_m2_per_pax_min"]
if idx.sweeps:
    st.header("Sweeps")
    labels = [s.label for s in idx.sweeps]
    pick = st.selectbox("Sweep", labels)
    found = idx.sweeps[labels.index(pick)]
    with ui.panel("the sweep", found.path):
        comparison, points, note = data.sweep(str(found.path), found.stamp)
        if note:
            st.warning(f"`{found.path}`: {note}")
        metrics = [m for m in measures.headline_long({"_": points[0]})["metric"]] if points \
            else [c for c in comparison.columns if f"{c}_ci_low" in comparison]
        axes = measures.sweep_axes(comparison, metrics)
        key_metrics = [m for m in SWEEP_TABLE if m in comparison] or \
            [m for m in metrics if m in comparison][:6]
        st.dataframe(comparison[["point", *axes, *key_metrics]].round(3), width="stretch",
                     hide_index=True, column_config={a: st.column_config.Column(
                         measures.short_path(a)) for a in axes})
        if axes and metrics:
            c1, c2 = st.columns(2)
            axis = c1.selectbox("Swept value", axes)
            metric = c2.selectbox("Metric", metrics,
                                  index=metrics.index("immigration_wait_p95_s")
                                  if "immigration_wait_p95_s" in metrics else 0)
            others = [a for a in axes if a != axis]
            st.plotly_chart(figures.sweep_lines(comparison, axis, metric,
                                                others[0] if others else None), key="sweep")
