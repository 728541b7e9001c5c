#!/usr/bin/env python3
"""Checks deploy/kubernetes/zabkeeper.yaml: the fields that tie the StatefulSet,
its Services and its PodDisruptionBudget together, and the ones the image and
the entrypoint rely on. No schema checker is packaged in Debian 12 (kubeconform
and kubeval are not), so this parses the YAML and checks what matters.

  k8s_manifest_test.py MANIFEST   exit 0 if it holds, else one line per problem
"""
import re
import sys

import yaml

CLIENT, PEER, ADMIN = 2281, 2888, 8080  # the image's fixed ports (entrypoint.sh)


def check(docs):
    problems = []

    def need(cond, what):
        if not cond:
            problems.append(what)
        return cond

    by_kind = {}
    for d in docs:
        by_kind.setdefault(d.get("kind"), []).append(d)
    for kind in ("Service", "PodDisruptionBudget", "StatefulSet"):
        if not need(kind in by_kind, f"no {kind}"):
            return problems
    sts = by_kind["StatefulSet"][0]
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    labels = spec["template"]["metadata"].get("labels", {})
    name = sts["metadata"]["name"]
    replicas = spec.get("replicas", 1)

    def selects_pods(selector, where):
        need(selector and all(labels.get(k) == v for k, v in selector.items()),
             f"{where} selector {selector} does not match the pod labels {labels}")

    need(sts["apiVersion"] == "apps/v1", "StatefulSet apiVersion is not apps/v1")
    need(replicas in (3, 5), f"replicas={replicas}, want 3 or 5")
    selects_pods(spec["selector"].get("matchLabels"), "StatefulSet")
    need(spec.get("podManagementPolicy") == "Parallel",
         "podManagementPolicy must be Parallel (no server is Ready before a quorum runs)")

    services = {s["metadata"]["name"]: s for s in by_kind["Service"]}
    headless = services.get(spec.get("serviceName"))
    if need(headless is not None, f"serviceName {spec.get('serviceName')} is no Service here"):
        need(headless["spec"].get("clusterIP") == "None", "the StatefulSet's Service is not headless")
        need(headless["spec"].get("publishNotReadyAddresses") is True,
             "the headless Service must publish not-ready addresses (peers resolve before Ready)")
        need(PEER in [p["port"] for p in headless["spec"]["ports"]], "headless Service lacks the peer port")
        selects_pods(headless["spec"].get("selector"), "headless Service")
    clients = [s for n, s in services.items() if n != spec.get("serviceName")]
    if need(clients, "no client Service"):
        ports = [p["port"] for p in clients[0]["spec"]["ports"]]
        need(CLIENT in ports, f"client Service lacks port {CLIENT}")
        selects_pods(clients[0]["spec"].get("selector"), "client Service")

    pdb = by_kind["PodDisruptionBudget"][0]
    need(pdb["apiVersion"] == "policy/v1", "PodDisruptionBudget apiVersion is not policy/v1")
    need(pdb["spec"].get("maxUnavailable") == 1, "PodDisruptionBudget maxUnavailable is not 1")
    selects_pods(pdb["spec"]["selector"].get("matchLabels"), "PodDisruptionBudget")

    sec = pod.get("securityContext", {})
    need(sec.get("runAsUser") == 1000 and sec.get("fsGroup") == 1000,
         "pod must run as uid 1000 with fsGroup 1000 (the image's user; makes the volume writable)")
    containers = pod["containers"]
    if not need(len(containers) == 1, "want one container"):
        return problems
    c = containers[0]
    ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
    need(ports.get("client") == CLIENT and ports.get("peer") == PEER and ports.get("admin") == ADMIN,
         f"container ports {ports}, want client {CLIENT}, peer {PEER}, admin {ADMIN}")

    def on_admin_port(probe, kind):
        if not need(probe is not None, f"no {kind}"):
            return
        if "httpGet" in probe:
            port = probe["httpGet"]["port"]
            need(port in ("admin", ADMIN), f"{kind} httpGet port {port} is not the admin port")
            need(probe["httpGet"]["path"].startswith("/commands/"), f"{kind} path is no admin command")
        elif "exec" in probe:
            cmd = " ".join(probe["exec"]["command"])
            need(f"127.0.0.1:{ADMIN}/commands/" in cmd, f"{kind} command does not ask the admin port")
        else:
            need(False, f"{kind} is neither httpGet nor exec")

    on_admin_port(c.get("readinessProbe"), "readinessProbe")
    on_admin_port(c.get("livenessProbe"), "livenessProbe")
    ready = " ".join(c.get("readinessProbe", {}).get("exec", {}).get("command", []))
    need("leader|follower" in ready, "readinessProbe must require leader or follower (serving)")

    env = {e["name"]: e.get("value") for e in c.get("env", [])}
    need("ZK_MY_ID" not in env, "ZK_MY_ID must not be set: myid comes from the pod ordinal")
    hs = spec.get("serviceName")
    want = ",".join(f"{name}-{i}.{hs}:{PEER}" for i in range(replicas))
    need(env.get("ZK_SERVERS") == want, f"ZK_SERVERS={env.get('ZK_SERVERS')}, want {want}")
    for k, v in env.items():
        if k in ("ZK_TICK_TIME", "ZK_INIT_LIMIT", "ZK_SYNC_LIMIT", "ZK_MAX_CLIENT_CNXNS"):
            need(re.fullmatch(r"[0-9]+", str(v)) is not None, f"{k}={v} is not a number")

    mounts = {m["name"]: m["mountPath"] for m in c.get("volumeMounts", [])}
    claims = [t["metadata"]["name"] for t in spec.get("volumeClaimTemplates", [])]
    need(any(mounts.get(n) == "/data" for n in claims),
         "no volumeClaimTemplate is mounted at /data (the image's dataDir)")
    return problems


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    with open(sys.argv[1]) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    problems = check(docs)
    for p in problems:
        print(f"{sys.argv[1]}: {p}")
    if not problems:
        print(f"{sys.argv[1]}: {len(docs)} objects, all checks hold")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
