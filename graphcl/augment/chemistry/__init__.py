"""Chemistry-aware augmentation: bioisosteric substructure substitution (MoCL's local knowledge)."""
from graphcl.augment.chemistry.index import ApplicabilityIndex, build_applicability_index
from graphcl.augment.chemistry.rules import Rule, apply_rule, default_rules, load_rules
from graphcl.augment.chemistry.substitution import SubstructureSubstitution, smiles_to_data

__all__ = [
    "Rule",
    "load_rules",
    "default_rules",
    "apply_rule",
    "ApplicabilityIndex",
    "build_applicability_index",
    "SubstructureSubstitution",
    "smiles_to_data",
]
