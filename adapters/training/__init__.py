"""Training from a declarative spec: the spec's schema and checks, the allow-listed estimators,
the environment record, the trainer and the bias mitigator."""

from adapters.training.environment import code_version, environment_digest, package_versions
from adapters.training.mitigation import FairlearnMitigator
from adapters.training.spec import check_training_spec
from adapters.training.trainer import SklearnTrainer

__all__ = [
    "FairlearnMitigator",
    "SklearnTrainer",
    "check_training_spec",
    "code_version",
    "environment_digest",
    "package_versions",
]
