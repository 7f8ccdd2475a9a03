"""Engineer: load-test results (latency percentiles against load, error rates per endpoint),
pipeline stage latencies, the capacity and replicas (CPU processes or GPUs, as measured) the
peak hour needs (CCTV identification's face cameras included), and CCTV identification's
per-camera latency and real-time capacity (:mod:`dashboard.cctv_panels`)."""

import pandas as pd
import streamlit as st

from dashboard import cctv_panels, data, figures_ops, measures, measures_ops, ui
from outputs.header import FolderError
from outputs.loadtest import replica_unit

st.title("Engineer")
st.caption("How the recognition service holds up under load (Locust through `airtwin loadtest`), "
           "where its time goes per pipeline stage, and how many replicas (CPU processes or "
           "GPUs, as measured) the simulated peak hour needs.")

idx = ui.results()
ui.show_problems(idx)
if idx.empty:
    ui.nothing_here(idx, "", "")
    st.stop()

# --- load tests ------------------------------------------------------------------------------
st.header("Load tests")
if not idx.loadtests:
    st.info(f"No load-test folders in `{idx.root}`. Make one with `airtwin loadtest --shape "
            f"sweep|poisson|replay --host URL` (its folder goes under the results folder).")
else:
    labels = [f.label for f in idx.loadtests]
    found = idx.loadtests[labels.index(st.selectbox("Load test", labels))]
    with ui.panel("the load test", found.path):
        lt = data.loadtest(str(found.path), found.stamp)
        s, totals, cap = lt["summary"], lt["summary"].get("totals") or {}, \
            lt["summary"].get("capacity") or {}
        st.caption(f"shape **{s.get('shape')}** ({s.get('mode')} loop) against "
                   f"`{s.get('host')}`, {float(s.get('duration_s') or 0):.0f} s, "
                   f"{s.get('workers') or 0} workers; SLO p99 ≤ {s.get('slo_ms')} ms, errors ≤ "
                   f"{measures.fmt(s.get('max_error_rate'), 'share')}")
        c = st.columns(5)
        c[0].metric("Capacity, req/s", "none" if cap.get("capacity_rps") is None else
                    f"{cap['capacity_rps']:.1f}", border=True, help=cap.get("detail"))
        c[1].metric("Valid requests", f"{totals.get('requests', 0):,}", border=True)
        c[2].metric("Throughput, req/s", f"{measures._num(totals.get('rps')):.1f}", border=True)
        c[3].metric("p99 latency, ms", f"{measures._num(totals.get('p99_ms')):.0f}", border=True)
        bad, rejected = totals.get("bad_requests", 0), totals.get("bad_rejected", 0)
        c[4].metric("Failures", f"{totals.get('failures', 0):,}", border=True,
                    help=f"{rejected:,} of {bad:,} deliberately bad payloads were refused with "
                         f"a 4xx, as they should; late starts: {totals.get('late_starts', 0)} "
                         f"(sent > 10 ms after their due time)")
        steps = lt["steps"]
        if steps is not None and len(steps):
            kinds = sorted(set(steps["endpoint"]), key=lambda e: (e != "all", e))
            show = st.multiselect("Endpoints", kinds, default=kinds[:1], key="lt_endpoints",
                                  help='"all": every valid request of the step')
            st.plotly_chart(figures_ops.latency_vs_rps(steps[steps["endpoint"].isin(show)],
                                                       s.get("slo_ms")), key="lat_rps")
        st.plotly_chart(figures_ops.error_rate_bars(lt["endpoints"], s.get("max_error_rate")),
                        key="errors")
        with st.expander("Per endpoint"):
            st.dataframe(lt["endpoints"].round(3), width="stretch", hide_index=True)
        cctv_panels.loadtest_stages(lt, found)
        if lt["curve"] is not None and len(lt["curve"]):
            st.plotly_chart(figures_ops.request_rate_curve(lt["curve"]), key="curve")
        if lt["report"]:
            with st.expander("Report (report.md)"):
                st.markdown(lt["report"])

    st.header("Capacity and replicas for the peak hour")
    with ui.panel("the replica plan", found.path):
        plan = lt["gpu_plan"]
        if not plan:
            st.info("This load test has no replica plan: run `airtwin loadtest ... --run RUN_DIR` "
                    "to size the replicas for a simulated day's peak hour.")
        else:
            c = st.columns(4)
            c[0].metric(f"Replicas ({replica_unit(plan)}), peak hour", f"{plan.get('replicas')}",
                        border=True, help=plan.get("detail"))
            c[1].metric("Per replica, req/s", f"{measures._num(plan.get('capacity_rps')):.1f}",
                        border=True, help=f"measured on {plan.get('measured_on')}")
            c[2].metric("Peak work / replica", f"{measures._num(plan.get('utilisation')):.2f}",
                        border=True, help="the peak hour's work over what one replica does "
                                          "at capacity")
            c[3].metric("Headroom", measures.fmt(plan.get("headroom"), "share"), border=True)
            demand = pd.DataFrame({"endpoint": list(plan.get("demand_rps") or {}),
                                   "peak demand (req/s)": list((plan.get("demand_rps") or
                                                                {}).values())})
            demand["cost per request (ms)"] = demand["endpoint"].map(plan.get("cost_ms") or {})
            st.dataframe(demand.round(3), width="stretch", hide_index=True)
            if plan.get("cameras_per_replica") is not None:
                cams = plan.get("cameras") or {}
                faces = plan.get("faces_per_frame")
                st.metric("Face cameras per replica, real time",
                          f"{plan['cameras_per_replica']:.2f}", border=True,
                          help=f"{len(cams)} face cameras in the demand "
                               f"({', '.join(f'{c} {v:g} fps' for c, v in cams.items())}); "
                               + (f"{faces:.1f} faces per measured frame" if faces is not None
                                  else "faces per frame not recorded"))
            peak = plan.get("peak_hour") or {}
            st.caption(f"Peak hour of the run: {measures.fmt_clock(peak.get('start_s'))} to "
                       f"{measures.fmt_clock(peak.get('end_s'))} (h:mm:ss since its start)." +
                       (f" Demanded but not measured (left out of the replicas): "
                        f"{', '.join(plan['unmeasured'])}." if plan.get("unmeasured") else ""))

# --- pipeline stages ------------------------------------------------------------------------
st.header("Pipeline stage latencies")
shown = False
live = []
for f in idx.runs:
    try:
        if data.extra_table(str(f.path), f.stamp, "recognition") is not None:
            live.append(f)
    except FolderError as exc:
        st.warning(f"Skipped a run folder: {exc}")
if live:
    labels = [f.label for f in live]
    f = live[labels.index(st.selectbox("Live-recognizer run", labels))]
    with ui.panel("the stage latencies", f.path):
        rec = data.extra_table(str(f.path), f.stamp, "recognition")
        stages = measures_ops.stage_latencies(rec)
        st.plotly_chart(figures_ops.stage_bars(stages, f"{f.label}: {len(rec):,} e-gate "
                                               "attempts"), key="stages_run")
        st.dataframe(stages.round(2), width="stretch", hide_index=True)
        shown = True
for b in idx.benches:
    with ui.panel("the bench figures", b.path):
        bench = data.bench_json(str(b.path), b.stamp)
        stages = measures_ops.bench_stages(bench)
        st.plotly_chart(figures_ops.stage_bars(stages, f"{b.label}: {bench.get('backend')} on "
                                               f"{bench.get('provider')}"), key=f"bench_{b.label}")
        shown = True
if not shown:
    st.info(f"No measured stage latencies in `{idx.root}`: they come from a live-recognizer "
            f"run (`immigration.recognizer.mode: live`, its recognition table) or from "
            f"`airtwin bench pipeline --json > {idx.root}/bench_pipeline.json`.")

cctv_panels.engineer_section(idx)
