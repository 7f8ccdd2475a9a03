"""The CCTV identification sections of the stakeholder and engineer pages, drawn from the run
folders ``airtwin identify-cctv`` writes (read through :mod:`dashboard.data`, i.e.
:func:`outputs.run.load_run`). Manifest and population runs are marked as mass enrolment
wherever a run is named."""

from __future__ import annotations


import streamlit as st

from dashboard import data, figures_cctv, figures_ops, measures, measures_cctv, ui
from dashboard.folders import Found, ResultsIndex
from outputs.header import FolderError

HOW = ("Make one with `airtwin identify-cctv scenarios/cctv_identification.yaml --out "
       "DIR/NAME [--gallery watchlist|manifest|population] [--from S --to S]`.")


def cctv_runs(idx: ResultsIndex) -> list[tuple[Found, dict]]:
    """The CCTV identification runs of the results folder, with their summaries."""
    out = []
    for f in idx.runs:
        try:
            summary, _ = data.run_meta(str(f.path), f.stamp)
        except FolderError:
            continue  # the run pages name unreadable folders
        if measures_cctv.is_cctv_run(summary):
            out.append((f, summary))
    return out


def _label(found: Found, summary: dict) -> str:
    return f"{found.label} — {measures_cctv.policy_label(summary)}"


def _pick(runs: list[tuple[Found, dict]], key: str) -> tuple[Found, dict]:
    labels = [_label(f, s) for f, s in runs]
    return runs[labels.index(st.selectbox("CCTV identification run", labels, key=key))]


def _table(found: Found, name: str):
    t = data.extra_table(str(found.path), found.stamp, name)
    if t is None:
        raise FolderError(f"{found.path}: no {name} table (run `airtwin evaluate-tracking "
                          f"{found.path}`)")
    return t


def mass_enrolment_banner(summary: dict) -> None:
    meta = summary.get("cctv") or {}
    if measures_cctv.mass_enrolment(summary):
        st.error(f"**MASS ENROLMENT: gallery policy `{meta.get('policy')}`.** This run searched "
                 f"{int(meta.get('gallery_size', 0)):,} enrolled identities, not a watchlist: "
                 f"anyone in the gallery could be named by the cameras.",
                 icon=":material/warning:")
    else:
        st.caption(f"Gallery policy `watchlist` (the default): only "
                   f"{int(meta.get('gallery_size', 0)):,} listed identities are searchable.")


# --- stakeholder -------------------------------------------------------------------------------

def stakeholder_section(idx: ResultsIndex) -> None:
    st.header("CCTV identification: surveillance reach")
    runs = cctv_runs(idx)
    if not runs:
        st.info(f"No CCTV identification runs in `{idx.root}`. {HOW}")
        return
    with ui.panel("the reach per gallery policy", idx.root):
        rows = [(f.label, s, _table(f, "cctv_reach"), _table(f, "cctv_false_ids"))
                for f, s in runs]
        table = measures_cctv.reach_by_policy(rows)
        st.caption("Share of the travelers the cameras saw who were identified at least once "
                   "(correctly), by consent status, and false identifications (someone named "
                   "who was not there), per run. Compare runs of one source, one per gallery "
                   "policy (`airtwin evaluate-tracking RUN...`).")
        st.dataframe(table.style.format({c: "{:.1%}" for c in
                                         ("identified (share)", "consenting", "not consenting")}
                                        | {"false ids per hour": "{:.1f}",
                                           "arrival to first id p50 (s)": "{:.1f}"},
                                        na_rep="–"), width="stretch", hide_index=True)
    found, summary = _pick(runs, "cctv_stakeholder_run")
    mass_enrolment_banner(summary)
    with ui.panel("the surveillance reach", found.path):
        reach, false = _table(found, "cctv_reach"), _table(found, "cctv_false_ids")
        everyone = reach[reach["by"] == "all"].iloc[0]
        f = false.iloc[0]
        c = st.columns(4)
        c[0].metric("Identified at least once", measures.fmt(float(everyone["share_identified"]), "share"),
                    border=True, help=f"{int(everyone['identified'])} of "
                                      f"{int(everyone['travelers'])} travelers seen")
        c[1].metric("Travelers seen", f"{int(everyone['travelers']):,}", border=True)
        c[2].metric("False identifications per hour", f"{float(f['false_ids_per_hour']):.1f}",
                    border=True, help=f"{int(f['false_identifications'])} false of "
                                      f"{int(f['identifications'])} identifications in "
                                      f"{float(f['run_hours']) * 3600:.0f} s of footage; "
                                      f"{float(f['false_ids_per_camera_hour']):.1f} per "
                                      f"camera-hour")
        c[3].metric("Gallery size", f"{int(summary['cctv'].get('gallery_size', 0)):,}",
                    border=True, help=summary["cctv"].get("gallery_label"))
        by = st.radio("Reach by", list(measures_cctv.GROUP_BY), horizontal=True,
                      key="cctv_reach_by")
        groups = measures_cctv.reach_by_group(
            [(f2.label, s2, _table(f2, "cctv_reach")) for f2, s2 in runs], by)
        st.plotly_chart(figures_cctv.reach_bars(groups, by), key="cctv_reach_bars")
    st.subheader("Identification rates by group")
    with ui.panel("the per-group rates", found.path):
        rates = measures_cctv.group_rates(_table(found, "cctv_identification"))
        if rates.empty:
            st.info("No per-group identification rows in this run.")
        else:
            st.plotly_chart(figures_ops.group_rates(
                rates.rename(columns={"by": "attribute", "rank-1": "rank1",
                                      "FNIR @ FPIR 1e-2": "fnir_at_fpir_1e-2",
                                      "mated searches": "n_mated"}),
                ["rank1", "fnir_at_fpir_1e-2"],
                "Rank-1 and FNIR at FPIR 1e-2 by group (searches of enrolled travelers)"),
                key="cctv_group_rates")
            ratios = {b: measures_cctv.max_min_ratio(g["rank-1"]) for b, g in rates.groupby("by")}
            st.caption("Rank-1 max/min ratio across groups: " + ", ".join(
                f"{b} {r:.2f}" if r == r else f"{b} –" for b, r in ratios.items()))
            st.dataframe(rates.round(3), width="stretch", hide_index=True)
    st.subheader("One traveler's journey")
    with ui.panel("the journey", found.path):
        journey_panel(found)


def journey_panel(found: Found) -> None:
    truth, searches = _table(found, "cctv_truth"), _table(found, "cctv_search_truth")
    coverage = measures_cctv.travelers_by_coverage(truth, searches)
    if coverage.empty:
        st.info("No traveler was in view of a camera in this run.")
        return
    labels = [f"traveler {r.traveler_id}: {r.cameras} camera(s), {r.frames} frames"
              + (", identified" if r.identified else "") for r in coverage.itertuples()]
    pick = st.selectbox("Traveler", labels, key="cctv_traveler",
                        help="most-seen first; those the system identified lead")
    traveler = int(coverage["traveler_id"].iloc[labels.index(pick)])
    gt, rec = measures_cctv.journey_vs_truth(traveler, truth, _table(found, "cctv_tracks"),
                                             _table(found, "journeys"),
                                             _table(found, "cctv_gallery"))
    left, right = st.columns(2)
    left.markdown(f"**Ground truth**: traveler {traveler} in view of {len(gt)} camera(s)")
    left.dataframe(gt.round(2), width="stretch", hide_index=True)
    n_j = rec["journey_id"].nunique()
    right.markdown(f"**Reconstructed**: {n_j} journey(s), {int(rec['is_traveler'].sum())} of "
                   f"{len(rec)} tracks really this traveler")
    right.dataframe(rec.round(3), width="stretch", hide_index=True)
    if len(gt) or len(rec):
        st.plotly_chart(figures_cctv.journey_timeline(gt, rec, traveler), key="cctv_journey")


# --- engineer ---------------------------------------------------------------------------------

def loadtest_stages(lt: dict, found: Found) -> None:
    """A camera load test's CCTV stage profile (cctv_stages.parquet), if it has one."""
    rows = lt.get("cctv_stages")
    if rows is None or rows.empty:
        return
    prof = lt["summary"].get("cctv_stages") or {}
    stages = measures_cctv.stage_latencies(rows)
    st.plotly_chart(figures_ops.stage_bars(stages, f"CCTV frames of {found.label}, backend "
                                                   f"{prof.get('backend', '?')}, persons from "
                                                   f"{prof.get('persons', 'heads')}"),
                    key="lt_cctv_stages")
    frame_ms = rows["frame_s"].to_numpy(float) * 1000
    st.caption(f"CCTV identification stage latencies: the load's {len(rows)} face-camera "
               f"frames run again in the load-test process, each stage timed; a frame took "
               f"{frame_ms.mean():.0f} ms on average, "
               f"{rows['faces'].mean():.1f} faces found per frame.")



def engineer_section(idx: ResultsIndex) -> None:
    st.header("CCTV identification: stage latencies and capacity")
    runs = cctv_runs(idx)
    if not runs:
        st.info(f"No CCTV identification runs in `{idx.root}`. {HOW} Load-test the service's "
                f"`/v1/cctv/frame` with `airtwin loadtest --shape cameras`.")
        return
    found, summary = _pick(runs, "cctv_engineer_run")
    mass_enrolment_banner(summary)
    meta = summary["cctv"]
    st.caption(f"Backend {meta.get('backend')} ({meta.get('embedder')}), cameras "
               f"{', '.join(meta.get('cameras', []))}; one processing thread runs each camera's "
               f"frames in order (detect → quality gate → embed → aggregate per track → 1:N "
               f"search, and person tracking).")
    with ui.panel("the CCTV capacity", found.path):
        frames = _table(found, "cctv_frames")
        cap = measures_cctv.camera_capacity(frames, data.extra_table(
            str(found.path), found.stamp, "cctv_realtime"))
        total = cap[cap["camera"] == "all"].iloc[0]
        latency = data.extra_table(str(found.path), found.stamp, "cctv_latency")
        face_to_id = float("nan") if latency is None or latency.empty else \
            float(latency[latency["camera"] == "all"]["latency_p50_s"].iloc[0])
        c = st.columns(4)
        c[0].metric("Frame p99, ms", f"{total['frame p99 (ms)']:.0f}", border=True,
                    help=f"p50 {total['frame p50 (ms)']:.0f} ms over {int(total['frames'])} "
                         f"frames")
        c[1].metric("Real-time factor", f"{total['real-time factor']:.2f}", border=True,
                    help=f"processing time ({total['capacity from']}) over footage time; "
                         f"<= 1 keeps up")
        c[2].metric("Cameras per thread", f"{total['cameras per thread']:.2f}", border=True,
                    help="frames/s processed over the cameras' fps: how many such cameras one "
                         "processing thread (one service replica's CCTV worker) keeps up with")
        c[3].metric("Face to identification p50, s",
                    "–" if face_to_id != face_to_id else f"{face_to_id:.2f}", border=True,
                    help="per track: first usable face on a camera to its identification")
        st.plotly_chart(figures_cctv.camera_latency_bars(cap), key="cctv_camera_latency")
        st.dataframe(cap.round(3), width="stretch", hide_index=True)
        stages = measures_cctv.stage_latencies(frames)
        if stages is None:
            st.info("This run recorded each frame's total processing time only, not its split "
                    "into detect, quality, embed, search and tracking (cctv_frames has no "
                    "`<stage>_s` columns).")
        else:
            st.plotly_chart(figures_ops.stage_bars(stages, f"{found.label}, per frame"),
                            key="cctv_stages")
        if latency is not None and len(latency):
            st.markdown("**Per track**: time from a face's first appearance to its "
                        "identification")
            st.dataframe(latency.round(3), width="stretch", hide_index=True)
