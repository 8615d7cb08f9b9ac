"""deploy/: the Kubernetes manifests validated offline against the Kubernetes JSON schemas
(``kubernetes-validate`` ships them), compose.yaml against the Compose specification's schema
(shipped by ``check-jsonschema``), and both checked for what a hospital deployment needs."""

from __future__ import annotations

import copy
import json
import re
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

from hooks.auth.issuers import parse_trusted_issuers
from hooks.store.database import is_postgres_url
from hooks.web.settings import Settings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
K8S_VERSION = "1.30.0"


def manifests() -> list[dict[str, Any]]:
    docs = []
    for path in sorted((DEPLOY / "kubernetes").glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return docs


def kind(name: str) -> list[dict[str, Any]]:
    return [d for d in manifests() if d["kind"] == name]


def validate(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, K8S_VERSION, strict=True)


@pytest.mark.parametrize("doc", manifests(), ids=lambda d: f"{d['kind']}-{d['metadata']['name']}")
def test_every_manifest_validates_against_the_kubernetes_schema(doc: dict[str, Any]) -> None:
    validate(doc)


def test_the_validator_rejects_a_broken_manifest() -> None:
    broken = copy.deepcopy(kind("Deployment")[0])
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)
    unknown = copy.deepcopy(kind("Deployment")[0])
    unknown["spec"]["template"]["spec"]["containers"][0]["readinessprobe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(unknown)  # strict: a misspelt field is an error, not silently ignored


def test_the_deployment_runs_hardened_with_probes_and_resources() -> None:
    (deployment,) = kind("Deployment")
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] != 0
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"cpu", "memory"} <= set(container["resources"]["requests"])
    assert {"cpu", "memory"} <= set(container["resources"]["limits"])
    volumes = {v["name"]: v for v in pod["volumes"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    assert "emptyDir" in volumes[mounts["/tmp"]]  # noqa: S108 - the container's /tmp
    (config,) = [c for c in kind("ConfigMap") if c["metadata"]["name"] == "sarcoma-cds"]
    metrics_dir = config["data"]["PROMETHEUS_MULTIPROC_DIR"]
    assert "emptyDir" in volumes[mounts[metrics_dir]]  # writable despite the read-only root
    assert pod["terminationGracePeriodSeconds"] > float(
        config["data"]["SARCOMA_CDS_SHUTDOWN_TIMEOUT"]
    )
    db = next(e for e in container["env"] if e["name"] == "SARCOMA_CDS_DB")
    secret_ref = db["valueFrom"]["secretKeyRef"]
    (secret,) = kind("Secret")
    assert secret_ref["name"] == secret["metadata"]["name"]
    assert is_postgres_url(
        Settings.from_env({"SARCOMA_CDS_DB": secret["stringData"][secret_ref["key"]]}).db
    )


def test_the_config_map_holds_valid_settings_and_a_valid_issuers_file(tmp_path: Path) -> None:
    config = {c["metadata"]["name"]: c for c in kind("ConfigMap")}
    settings_env = config["sarcoma-cds"]["data"]
    settings = Settings.from_env(settings_env)  # raises on a bad value
    assert settings.auth is True
    assert settings.log_format == "json"
    assert settings.metrics_port == int(settings_env["SARCOMA_CDS_METRICS_PORT"])
    known = {row[0] for row in Settings().table()} | {
        "SARCOMA_CDS_TRUSTED_ISSUERS",
        "PROMETHEUS_MULTIPROC_DIR",
        "FORWARDED_ALLOW_IPS",
    }
    assert set(settings_env) <= known, set(settings_env) - known
    (issuers_map,) = [c for c in config.values() if c["metadata"]["name"] != "sarcoma-cds"]
    (filename,) = issuers_map["data"]
    assert Path(settings_env["SARCOMA_CDS_TRUSTED_ISSUERS"]).name == filename
    document = tomllib.loads(issuers_map["data"][filename])
    assert parse_trusted_issuers(document, source=tmp_path / filename)


def test_service_hpa_and_pdb_select_the_deployment() -> None:
    (deployment,) = kind("Deployment")
    labels = deployment["spec"]["template"]["metadata"]["labels"]
    (service,) = kind("Service")
    (hpa,) = kind("HorizontalPodAutoscaler")
    (pdb,) = kind("PodDisruptionBudget")
    assert service["spec"]["selector"].items() <= labels.items()
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert hpa["spec"]["scaleTargetRef"]["name"] == deployment["metadata"]["name"]
    assert hpa["spec"]["minReplicas"] >= 2  # a PDB of minAvailable 1 leaves one to drain
    assert pdb["spec"]["minAvailable"] < hpa["spec"]["minReplicas"]
    ports = {p["name"] for p in deployment["spec"]["template"]["spec"]["containers"][0]["ports"]}
    assert {p["targetPort"] for p in service["spec"]["ports"]} <= ports


def compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def test_compose_validates_against_the_compose_specification() -> None:
    schema_text = (
        resources.files("check_jsonschema.builtin_schemas.vendor") / "compose-spec.json"
    ).read_text()
    schema = json.loads(schema_text)
    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = [e.message for e in validator.iter_errors(compose())]
    assert errors == []
    broken = compose()
    broken["services"]["cds"]["restart_policy"] = "always"  # not a service key
    assert list(validator.iter_errors(broken))  # the schema can fail


def test_compose_runs_postgresql_two_replicas_and_a_tls_proxy() -> None:
    services = compose()["services"]
    assert set(services) == {"db", "cds", "proxy"}
    assert services["db"]["image"].startswith("postgres:")
    cds = services["cds"]
    assert cds["deploy"]["replicas"] == 2
    assert cds["read_only"] is True
    assert cds["depends_on"]["db"]["condition"] == "service_healthy"
    assert "ports" not in cds  # reached through the proxy only
    env = cds["environment"]
    assert env["SARCOMA_CDS_DB"].startswith("postgresql://")
    assert "/readyz" in " ".join(cds["healthcheck"]["test"])
    proxy = services["proxy"]
    assert proxy["image"].startswith("nginx:")
    assert any(v.startswith("./nginx.conf:") for v in proxy["volumes"])
    nginx = (DEPLOY / "nginx.conf").read_text()
    assert re.search(r"listen\s+\d+\s+ssl", nginx)
    for directive in ("client_header_timeout", "client_body_timeout", "send_timeout"):
        assert re.search(rf"{directive}\s+\d+s;", nginx), directive
    assert re.search(r"location = /metrics \{ return 404; \}", nginx)
    assert "server cds:8080" in nginx
