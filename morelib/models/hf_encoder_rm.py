"""An encoder (BERT-style) reward model that plain transformers loads with morelib's scores.

HF's ``BertForSequenceClassification`` scores the ``[CLS]`` state through a pooler (a dense
layer + tanh) that a morelib RM never trains: morelib pools the **last real token** (the
``[SEP]``) with a bias-free head. So a morelib BERT/MiniLM RM saved as a
``BertForSequenceClassification`` reloads with a freshly initialised pooler and seed-dependent
scores. Encoder RMs are therefore exported as this architecture instead:

* ``config.json``: ``model_type = "morelib_encoder_rm"``, the backbone's own config under
  ``morelib_backbone``, ``num_labels = 1`` and an ``auto_map`` naming this file;
* ``modeling_morelib_rm.py``: a copy of this module (it imports only torch and transformers);
* ``model.safetensors``: ``backbone.*`` (the backbone's own key names) + ``score.weight``.

Outside morelib it loads with ``trust_remote_code=True``, as any custom architecture on the hub
(``AutoModelForSequenceClassification.from_pretrained(path, trust_remote_code=True)``,
``pipeline("text-classification", model=path, trust_remote_code=True,
function_to_apply="none")``); without it, transformers refuses with its own one-line error
instead of silently building a pooler. Importing morelib registers the classes, so morelib
loads the folder without running any code from it.

``forward`` is morelib's: position ids counted over real tokens, the final hidden state at each
row's last real token, ``score`` (no bias). ``logits`` is ``[N, 1]``.

Example:
    >>> import torch
    >>> from transformers import BertConfig
    >>> backbone = BertConfig(vocab_size=20, hidden_size=8, num_hidden_layers=1,
    ...                       num_attention_heads=2, intermediate_size=16)
    >>> model = MorelibEncoderRewardModel(MorelibEncoderRMConfig(backbone.to_dict())).eval()
    >>> ids = torch.tensor([[1, 5, 6, 2, 0], [1, 7, 2, 0, 0]])
    >>> model(input_ids=ids, attention_mask=(ids != 0).long()).logits.shape
    torch.Size([2, 1])
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn
from transformers import AutoConfig, AutoModel, PretrainedConfig, PreTrainedModel
from transformers.modeling_outputs import SequenceClassifierOutput

MODEL_TYPE = "morelib_encoder_rm"
#: The name of this module's copy inside a saved folder (``auto_map`` points at it).
MODULE_FILE = "modeling_morelib_rm.py"


class MorelibEncoderRMConfig(PretrainedConfig):
    """The backbone's config (a dict, under ``morelib_backbone``) and the pooling rule."""

    model_type = MODEL_TYPE

    def __init__(self, morelib_backbone: dict | None = None,
                 morelib_pooling: str = "last_real_token", **kwargs: Any):
        self.morelib_backbone = dict(morelib_backbone or {})
        self.morelib_pooling = morelib_pooling
        kwargs.setdefault("num_labels", 1)
        super().__init__(**kwargs)
        hidden = self.morelib_backbone.get("hidden_size")
        if hidden is not None:
            self.hidden_size = hidden

    def backbone_config(self) -> PretrainedConfig:
        """The backbone's own config object (e.g. a ``BertConfig``)."""
        values = dict(self.morelib_backbone)
        return AutoConfig.for_model(values.pop("model_type"), **values)


class MorelibEncoderRewardModel(PreTrainedModel):
    """Encoder backbone + bias-free scalar head on the last real token (morelib's RM)."""

    config_class = MorelibEncoderRMConfig
    base_model_prefix = "backbone"
    supports_gradient_checkpointing = True

    def __init__(self, config: MorelibEncoderRMConfig):
        super().__init__(config)
        backbone_config = config.backbone_config()
        self.backbone = AutoModel.from_config(backbone_config)
        if getattr(self.backbone, "pooler", None) is not None:
            self.backbone.pooler = None  # unused: the head reads the last real token
        self.score = nn.Linear(backbone_config.hidden_size, 1, bias=False)
        self.post_init()

    def _init_weights(self, module: nn.Module) -> None:
        if module is getattr(self, "score", None):
            nn.init.normal_(module.weight, std=0.02)

    def forward(self, input_ids: torch.Tensor | None = None,
                attention_mask: torch.Tensor | None = None, **kwargs: Any
                ) -> SequenceClassifierOutput:
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        kwargs.pop("labels", None)
        kwargs.pop("return_dict", None)
        if "position_ids" not in kwargs:
            kwargs["position_ids"] = (attention_mask.long().cumsum(-1) - 1).clamp(min=0)
        hidden = self.backbone(input_ids=input_ids, attention_mask=attention_mask,
                               **kwargs).last_hidden_state
        positions = torch.arange(attention_mask.shape[-1], device=attention_mask.device)
        last = (positions * attention_mask.bool()).argmax(-1)
        pooled = hidden[torch.arange(hidden.shape[0], device=hidden.device), last]
        logits = self.score(pooled.to(self.score.weight.dtype))
        return SequenceClassifierOutput(logits=logits)


def register() -> None:
    """Make ``AutoConfig``/``AutoModelForSequenceClassification`` know the classes in this
    process (idempotent), so morelib loads saved folders without ``trust_remote_code``."""
    from transformers import AutoModelForSequenceClassification

    try:
        AutoConfig.register(MODEL_TYPE, MorelibEncoderRMConfig)
    except ValueError:  # already registered
        pass
    try:
        AutoModelForSequenceClassification.register(MorelibEncoderRMConfig,
                                                    MorelibEncoderRewardModel)
    except ValueError:
        pass
