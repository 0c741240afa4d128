"""Request bodies for the registry's tests: a frontier lab's API model, a commercial clone, a study."""

from __future__ import annotations

import hashlib
from typing import Any


def digest(text: str) -> str:
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def protected_model(name: str = "Frontier-1", release_date: str = "2025-06-01") -> dict[str, Any]:
    return {
        "name": name,
        "access_mode": "api",
        "release_date": release_date,
        "api_model_id": name.lower(),
        "weights_files": [
            {
                "path": "model-00001.safetensors",
                "sha256": hashlib.sha256(b"shard1" + name.encode()).hexdigest(),
            },
            {
                "path": "model-00002.safetensors",
                "sha256": hashlib.sha256(b"shard2" + name.encode()).hexdigest(),
            },
        ],
        "trade_secret": {
            "investment": {
                "amount_minor": 200_000_000_000,
                "currency": "USD",
                "description": "training compute",
            },
            "secrecy_measures": ["access_controls", "weights_not_released", "rate_limits", "monitoring"],
            "weights_protected": True,
            "terms_of_service": [
                {
                    "title": "Terms of Use",
                    "effective_date": "2024-01-31",
                    "clause_id": "openai_terms_of_use_2024_competing",
                }
            ],
        },
    }


HONEST_API_CONDUCT: dict[str, Any] = {
    "distiller": {"relationship": "unrelated", "agreed_to_tos": True, "authorization": "none"},
    "conduct": {
        "method": "api_queries",
        "accounts": 3,
        "fraudulent_accounts": 0,
        "circumvented_access_controls": False,
        "misrepresentation": False,
        "duration_days": 30,
        "human_capability_multiple": 20,
        "outputs_used_for": "training",
        "student_competes_with_teacher": False,
        "direct_clone_of_weights": False,
        "used_former_employer_methodology": False,
    },
    "obligations": {
        "transparency_disclosure": "filed",
        "privacy_safeguards": True,
        "safety_evaluation": True,
    },
    "downstream": {"is_downstream_user": False},
}


def clone_notice(teacher_id: int, student: str = "Clone-1") -> dict[str, Any]:
    """A commercial substitute built by honest API distillation: the compulsory license applies."""
    conduct = HONEST_API_CONDUCT["conduct"] | {
        "accounts": 50,
        "human_capability_multiple": 3000,
        "student_competes_with_teacher": True,
        "direct_clone_of_weights": True,
    }
    return {
        "teacher_model_id": teacher_id,
        "purpose": "commercial",
        "commercial": True,
        "expected_volume": 5_000_000,
        "student": {"name": student, "weights_digest": digest(student)},
        "facts": HONEST_API_CONDUCT | {"conduct": conduct},
    }


def research_notice(teacher_id: int, student: str = "Study-1") -> dict[str, Any]:
    """A non-commercial study at human-comparable scale: two safe harbors, immunity on conditions."""
    return {
        "teacher_model_id": teacher_id,
        "purpose": "non_commercial_research",
        "commercial": False,
        "expected_volume": 50_000,
        "student": {"name": student, "weights_digest": digest(student)},
        "facts": HONEST_API_CONDUCT,
    }
