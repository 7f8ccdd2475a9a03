"""Stakeholder: headline figures, alerts over time, camera frames with overlays, recognition
error rates by demographic group, privacy (templates, purges, audit, consent), and CCTV
identification (surveillance reach per gallery policy, false identifications, per-group rates,
a traveler's reconstructed journey beside its ground truth; :mod:`dashboard.cctv_panels`)."""

import dataclasses

import streamlit as st

from dashboard import camera, cctv_panels, data, figures_ops, measures, measures_ops, ui
from outputs.header import FolderError

st.title("Stakeholder")
st.caption("What a run means for travelers and the public: how long people waited, what the "
           "cameras flagged, how recognition errs across groups, and what happens to "
           "biometric data.")

idx = ui.results()
ui.show_problems(idx)
cctv_paths = {f.path for f, _ in cctv_panels.cctv_runs(idx)}
sim_runs = tuple(f for f in idx.runs if f.path not in cctv_paths)  # CCTV runs have a section
if not sim_runs:
    ui.nothing_here(idx, "simulation run folders", "Make one with `airtwin run SCENARIO.yaml "
                    "--out DIR/NAME`.")
    if idx.services:
        st.caption("Service logs are shown on this page once a run is present too.")
    if cctv_paths:
        cctv_panels.stakeholder_section(idx)
    st.stop()

found = ui.pick_run(dataclasses.replace(idx, runs=sim_runs), "stakeholder_run")
path, stamp = str(found.path), found.stamp
try:
    summary, scenario = data.run_meta(path, stamp)
except FolderError as exc:
    st.warning(f"Cannot read this run folder: {exc}")
    st.stop()
st.caption(ui.run_label(summary))

HEADLINE = [  # metric, short label (the description shows on hover)
    ("travelers_arrived", "Travelers arrived"),
    ("travelers_exited", "Reached the exit"),
    ("immigration_wait_p95_s", "Immigration wait, p95"),
    ("time_in_system_mean_s", "Door to exit, mean"),
    ("los_share_desk", "Desk waits on target"),
    ("los_share_egate", "E-gate waits on target"),
    ("egate_referral_rate", "E-gate referrals"),
    ("hall_m2_per_pax_min", "Hall space, least"),
]

st.header("Headline figures")
with ui.panel("the headline figures", path):
    head = summary.get("headline") or {}
    shown = [(m, label) for m, label in HEADLINE if m in head]
    if not shown:
        st.info(f"`{path}`: summary.json holds no headline figures.")
    cols = st.columns(4)
    for k, (metric, label) in enumerate(shown):
        h = head[metric]
        mean, lo, hi = (measures._num(h.get(x)) for x in ("mean", "ci_low", "ci_high"))
        unit = h.get("unit", "")
        cols[k % 4].metric(label, measures.fmt(mean, unit), border=True,
                           help=f"{h.get('description', metric)}. 95% CI over "
                                f"{h.get('n', '?')} replications: {measures.fmt(lo, unit)} – "
                                f"{measures.fmt(hi, unit)}.")

st.header("Alerts")
with ui.panel("the alerts", path):
    danger = data.extra_table(path, stamp, "danger_alerts")
    hits = data.extra_table(path, stamp, "watchlist_hits")
    alerts = measures_ops.alerts_timeline(danger, hits)
    if alerts.empty:
        sources = []
        if danger is None:
            sources.append("danger detection was not run on it (no danger_alerts table)")
        if hits is None:
            sources.append("no watchlist was searched (no watchlist_hits table: live "
                           "recognizer with a scenario watchlist)")
        st.info(f"No alerts in this run" + (": " + "; ".join(sources) if sources else ".")
                )
    else:
        st.plotly_chart(figures_ops.alerts_figure(alerts, summary.get("horizon_s")),
                        key="alerts")
        with st.expander(f"All {len(alerts)} alerts"):
            st.dataframe(alerts.assign(time=measures.sim_clock(alerts["t"]).dt.strftime(
                "%H:%M:%S").to_numpy()).drop(columns="t"), width="stretch", hide_index=True)

st.header("Camera")
with ui.panel("the camera frames", path):
    sets = list(idx.frame_sets)  # `airtwin frames` folders anywhere under the results
    cams = camera.cctv_cameras(scenario)
    modes = (["Render from this run"] if cams else []) + (["Saved frames"] if sets else [])
    if not modes:
        st.info("This run's scenario has no CCTV camera, and the results folder holds no saved "
                "frames (`airtwin frames`).")
    else:
        mode = st.radio("Frames", modes, horizontal=True, label_visibility="collapsed")
        if mode == "Saved frames":
            f = sets[[s.label for s in sets].index(st.selectbox("Frame folder",
                                                                [s.label for s in sets]))]
            files = camera.saved_frames(f.path)
            if not files:
                st.info(f"`{f.path}/frames` holds no images.")
            else:
                k = st.slider("Frame", 0, len(files) - 1, 0)
                import cv2
                img = cv2.imread(str(files[k]))
                shown = camera.draw_overlays(img, camera.saved_overlays(f.path, k))
                st.image(shown, channels="BGR", caption=f"{f.label}: {files[k].name} "
                                                          "(boxes: ground truth)")
        else:
            horizon = float(summary.get("horizon_s") or 0)
            c1, c2, c3 = st.columns([2, 1, 3])
            cam_id = c1.selectbox("Camera", cams)
            rep = c2.number_input("Replication", 0, max(0, int(summary.get("replications",
                                  1)) - 1), 0)
            zone = next(c.get("zone") for c in scenario["cameras"] if c["id"] == cam_id)
            busiest = measures_ops.busiest_time(data.run_table(path, stamp, "occupancy"), zone,
                                                int(rep))
            seen = danger[danger["camera"] == cam_id] if danger is not None and len(danger) \
                else None
            default_t = float(seen["t"].min()) if seen is not None and len(seen) else \
                busiest if busiest is not None else horizon / 4
            t = c3.slider("Time (s since start)", 0.0, horizon, min(default_t, horizon), 1.0,
                          help="starts at the camera's first alert, else when its zone is "
                               "busiest")
            ids = st.toggle("Track ids", value=True)
            if st.button("Render frame", icon=":material/videocam:", type="primary"):
                st.session_state["_frame_request"] = (path, stamp, int(rep), cam_id, float(t))
            req = st.session_state.get("_frame_request")
            if req and req[0] == path:
                with st.spinner("Rendering (the first frame of a camera builds its scene)…"):
                    img, t_frame, truth = data.rendered_frame(*req)
                near = camera.alerts_near(danger, req[3], t_frame)
                st.image(camera.draw_overlays(img, truth, near, ids=ids), channels="BGR",
                         caption=f"{req[3]}, replication {req[2]}, t = {t_frame:.1f} s: "
                                 f"{len(truth.persons)} people in view, "
                                 f"{len(truth.incidents)} incidents, {len(near)} alerts "
                                 f"(green: people, orange: incident truth, red: alerts)")
            else:
                st.caption("Pick a camera and a time, then render: frames are drawn from the "
                           "run's records on demand, never stored.")

st.header("Recognition error rates by group")
with ui.panel("the error rates by group", path):
    rec = data.extra_table(path, stamp, "recognition")
    travelers = data.run_table(path, stamp, "travelers")
    if rec is not None and len(rec):
        table, ratios = measures_ops.verification_by_group(rec, travelers)
        if "calibrated" in rec and not rec["calibrated"].astype(bool).all():
            st.warning(f"The recognizer decided at an uncalibrated threshold "
                       f"({rec['threshold'].iloc[0]:.3g}): error rates, and watchlist false "
                       f"positives above all, are not those of a calibrated operating point. "
                       f"Run `airtwin calibrate` first.")
        st.plotly_chart(figures_ops.group_rates(table, ["fnmr", "fta"],
                        "E-gate 1:1 verification: false non-match (FNMR) and failure to "
                        "acquire (FTA) by group"), key="groups")
        st.caption("Measured on the live recognizer's e-gate attempts (every traveler is "
                   "genuine, so FMR needs impostors: see `airtwin profile`). Max/min ratio "
                   "across groups, as NIST FRTE reports it:")
        st.dataframe(ratios.dropna(axis=1, how="all").round(2), width="stretch",
                     hide_index=True)
        searches = data.extra_table(path, stamp, "watchlist_searches")
        if searches is not None and len(searches):
            t2, r2 = measures_ops.identification_by_group(searches, travelers)
            st.plotly_chart(figures_ops.group_rates(t2, ["fnir", "fpir"], "Watchlist 1:N: "
                            "false negative and false positive identification by group"),
                            key="groups_1n")
    else:
        tx = data.run_table(path, stamp, "egate_transactions")
        if tx.empty:
            st.info("No e-gate transactions in this run.")
        else:
            table, ratios = measures_ops.verification_by_group(
                measures_ops.egate_attempts(tx), travelers)
            st.info(f"This run used the **{summary.get('recognizer_mode', '?')}** recognizer: "
                    "e-gate outcomes are drawn from one profile for everyone, so differences "
                    "between groups below are chance. Run with `immigration.recognizer.mode: "
                    "live` for measured error rates by group.")
            st.plotly_chart(figures_ops.group_rates(table, ["fnmr", "fta"], "E-gate outcomes "
                            "by group (profile recognizer)"), key="groups")

st.header("Privacy")
with ui.panel("the privacy figures", path):
    travelers = data.run_table(path, stamp, "travelers")
    consent = measures.consent_routing(travelers)
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("Sent to a desk: no consent", f"{consent['routed_to_desk']:,.0f}",
              border=True, help="Travelers enrolled for e-gates who did not consent to "
                                "biometric processing, sent to a manual desk instead (mean per "
                                f"replication, {consent['replications']} replications). They "
                                "are never enrolled or captured at a gate.")
    c2.metric("Travelers without consent", f"{consent['no_consent']:,.0f}", border=True,
              help=f"of {consent['travelers']:,.0f} travelers per replication")
    services = [s for s in idx.services]
    if not services:
        c3.metric("Templates held", "n/a", border=True)
        c4.metric("Audit entries", "n/a", border=True)
        st.info(f"Templates held, retention purges, audit entries: not available for this "
                f"results folder (no service log: `airtwin serve` writes audit.jsonl; put its "
                f"folder, with a `metrics.prom` snapshot of /metrics, under `{idx.root}`).")
    else:
        svc = services[0] if len(services) == 1 else services[
            [s.label for s in services].index(st.selectbox("Service log",
                                                           [s.label for s in services]))]
        audit = data.audit(str(svc.path), svc.stamp)
        values, source = data.service_metrics(str(svc.path))
        priv = measures_ops.privacy_from_metrics(values or {})
        held, purges = priv["templates_held"], priv["retention_purges"]
        c3.metric("Templates held", "n/a" if held is None else f"{held:,.0f}", border=True,
                  help=f"from {source}" if source else "no metrics.prom snapshot")
        c4.metric("Audit entries", f"{audit.entries:,}", border=True,
                  help=f"{svc.path}/audit.jsonl; hash chain {audit.chain}")
        st.caption(f"Service `{svc.label}`: audit chain **{audit.chain}**; events: " +
                   (", ".join(f"{k} {v}" for k, v in audit.events.items()) or "none") +
                   "; retention purges: " + ("not available (the service exports no purge "
                                             "count)" if purges is None else f"{purges:,.0f}"))

cctv_panels.stakeholder_section(idx)
