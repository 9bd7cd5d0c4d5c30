"""The adaptive spatio-temporal graph convolutional backbone of the paper's section 3.

Tensor layout everywhere: ``(N, C, T, V)`` (batch, channels, frames, joints), channels-first.
Every module is ONNX-exportable (opset 17): the adjacency is a registered buffer, the graph
aggregation is one ``matmul`` over the joint axis (no einsum), nothing moves tensors between
devices in ``forward`` and there is no data-dependent Python control flow or size assert.

Choices where the paper is vague (each is a docstring below as well):

* Eq. 5's degree ``D_ii = sum_j (A_ij + B_ij)`` can reach zero or go negative once ``B`` is
  learned; we take the degree of the matrix actually used (``A ⊙ M + B``) in absolute value,
  clamped at 1e-3, so the normalization never produces NaN.
* Table 8 gives the "adaptive graph convolutional layers" 1.96 M parameters, which the 1×1
  weights ``W`` of eq. 5 alone cannot reach (0.13 M at full width). We read the graph
  convolution unit as ST-GCN's: spatial aggregation (eq. 5) followed by a per-joint temporal
  convolution (kernel ``tcn_kernel`` = 9) that also carries the stride-2 downsampling. With it
  the full-width backbone matches the paper's totals (about 2.8 M parameters, 1.5 GFLOPs).
* Eq. 6 writes a causal kernel (``n - d·j``); we centre it (padding ``d(k-1)/2``) because a
  complete window is scored at once; the receptive field is the same. ``w_m ∈ R^{k×C}`` is a
  per-channel kernel, i.e. a depthwise convolution; the 1×1 fusion then mixes channels.
* The multi-scale feature (pooled over joints) is *added* back to every joint (a residual
  broadcast): replacing the joint features by it would make all joints identical.
* Eq. 8's weights sum to 1; we multiply them by ``T`` before weighting ``X_multi`` so that
  uniform attention is the identity and the feature scale does not shrink with the window.
* Residual connections: every block has one around the graph unit (identity, or a strided
  1×1 conv + BN where the shape changes), as in ST-GCN; they make the 6-block stack train
  reliably from scratch on small data (switch: ``residual``).
"""

from __future__ import annotations

import torch
from torch import nn


class SpatialAttention(nn.Module):
    """Eq. 7: ``M[i, j] = sigmoid(MLP([h_i || h_j]))``, hidden ``C_in/2``, output a scalar.

    ``h_i`` is joint ``i``'s feature averaged over the frames of the window. The first MLP
    layer applied to a concatenation equals ``U h_i + W h_j + b``, which we compute once per
    joint and broadcast to all pairs: (N, V, V, hidden), then a linear layer to a scalar.
    """

    def __init__(self, channels: int):
        super().__init__()
        hidden = max(1, channels // 2)
        self.query = nn.Linear(channels, hidden)  # the h_i half of the first layer (with bias)
        self.key = nn.Linear(channels, hidden, bias=False)  # the h_j half
        self.out = nn.Linear(hidden, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (N, C, T, V) -> (N, V, V)
        h = x.mean(dim=2).transpose(1, 2)  # (N, V, C)
        pair = torch.relu(self.query(h).unsqueeze(2) + self.key(h).unsqueeze(1))  # (N, V, V, H)
        return torch.sigmoid(self.out(pair).squeeze(-1))


class AdaptiveGraphConv(nn.Module):
    """Eq. 5: ``H' = D^-1/2 (A ⊙ M + B) D^-1/2 H W`` (σ, the ReLU, is applied by the block).

    ``A`` is the physical adjacency with self-loops (a buffer), ``B`` a learnable (V, V)
    matrix initialised to zero (absent when ``adaptive`` is False: Model-A), ``M`` the spatial
    attention of eq. 7 (absent when ``attention`` is False: Model-C). The aggregation is one
    matmul over the joint axis: ``x (N, C, T, V) @ adjᵀ (N, 1, V, V)``.
    """

    def __init__(self, c_in: int, c_out: int, adjacency: torch.Tensor, adaptive: bool = True,
                 attention: bool = True):
        super().__init__()
        self.register_buffer("A", adjacency.clone().float())
        v = adjacency.shape[0]
        self.B = nn.Parameter(torch.zeros(v, v)) if adaptive else None
        self.attention = SpatialAttention(c_in) if attention else None
        self.weight = nn.Conv2d(c_in, c_out, kernel_size=1)

    def adjacency(self, x: torch.Tensor) -> torch.Tensor:
        """The normalized adjacency used for ``x``: (N, V, V) with attention, else (1, V, V)."""
        a = self.A.unsqueeze(0)
        if self.attention is not None:
            a = a * self.attention(x)
        if self.B is not None:
            a = a + self.B
        deg = a.abs().sum(dim=-1).clamp_min(1e-3)
        d = deg.rsqrt()
        return d.unsqueeze(-1) * a * d.unsqueeze(-2)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        adj = self.adjacency(x)  # (N|1, V, V)
        y = torch.matmul(x, adj.transpose(-1, -2).unsqueeze(1))  # y[..., i] = sum_j adj[i, j] x[..., j]
        return self.weight(y)


class TemporalMultiScale(nn.Module):
    """Eq. 6: joint-pooled features through parallel dilated temporal convolutions.

    Branches ``(k, d)`` default to the paper's (3,1), (5,2), (9,4), (1,1); each is depthwise
    (``w_m ∈ R^{k×C}``), outputs are concatenated and fused by a 1×1 conv back to ``C``.
    With one branch (Model-B: (3, 1)) there is nothing to concatenate and no fusion.
    """

    def __init__(self, channels: int, branches: tuple[tuple[int, int], ...]):
        super().__init__()
        self.branches = nn.ModuleList(
            nn.Conv1d(channels, channels, k, padding=d * (k - 1) // 2, dilation=d,
                      groups=channels, bias=False)
            for k, d in branches
        )
        n = len(branches)
        self.fuse = nn.Conv1d(n * channels, channels, 1, bias=False) if n > 1 else None
        self.bn = nn.BatchNorm1d(channels)

    def forward(self, z: torch.Tensor) -> torch.Tensor:  # z (N, C, T) -> (N, C, T)
        ys = [branch(z) for branch in self.branches]
        y = torch.cat(ys, dim=1) if self.fuse is not None else ys[0]
        if self.fuse is not None:
            y = self.fuse(y)
        return self.bn(y)


class TemporalAttention(nn.Module):
    """Eq. 8: ``a[n] = softmax_n(v_aᵀ tanh(W_a X_multi[n] + b_a))`` with ``d_a`` hidden units."""

    def __init__(self, channels: int, dim: int = 64):
        super().__init__()
        self.proj = nn.Linear(channels, dim)
        self.v = nn.Linear(dim, 1, bias=False)

    def forward(self, xm: torch.Tensor) -> torch.Tensor:  # (N, C, T) -> (N, T), rows sum to 1
        e = self.v(torch.tanh(self.proj(xm.transpose(1, 2)))).squeeze(-1)
        return torch.softmax(e, dim=-1)


class STBlock(nn.Module):
    """One spatio-temporal block: adaptive GCN, BN, multi-scale temporal module, attention.

    ``forward`` returns the block output (N, C_out, T', V) and its temporal attention (N, T')
    (uniform 1/T' when attention is off).
    """

    def __init__(self, c_in: int, c_out: int, stride: int, adjacency: torch.Tensor, *,
                 tcn_kernel: int = 9, tms_branches=((3, 1), (5, 2), (9, 4), (1, 1)),
                 attention_dim: int = 64, adaptive: bool = True, attention: bool = True,
                 residual: bool = True, hidden: int | None = None):
        super().__init__()
        hidden = hidden or c_out  # graph conv output = temporal conv input (pruned: narrower)
        self.gcn = AdaptiveGraphConv(c_in, hidden, adjacency, adaptive, attention)
        self.gcn_bn = nn.BatchNorm2d(hidden)
        pad = (tcn_kernel - 1) // 2
        self.tcn = nn.Sequential(
            nn.Conv2d(hidden, c_out, (tcn_kernel, 1), stride=(stride, 1), padding=(pad, 0)),
            nn.BatchNorm2d(c_out),
        )
        if not residual:
            self.residual = None
        elif c_in == c_out and stride == 1:
            self.residual = nn.Identity()
        else:
            self.residual = nn.Sequential(nn.Conv2d(c_in, c_out, 1, stride=(stride, 1)),
                                          nn.BatchNorm2d(c_out))
        self.tms = TemporalMultiScale(c_out, tuple(tms_branches))
        self.tatt = TemporalAttention(c_out, attention_dim) if attention else None

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        y = torch.relu(self.gcn_bn(self.gcn(x)))
        y = self.tcn(y)
        if self.residual is not None:
            y = y + self.residual(x)
        y = torch.relu(y)
        xm = self.tms(y.mean(dim=-1))  # (N, C, T')
        if self.tatt is not None:
            a = self.tatt(xm)
            xm = xm * (a * a.shape[-1]).unsqueeze(1)
        else:
            a = torch.ones_like(xm[:, 0]) / xm.shape[-1]
        return torch.relu(y + xm.unsqueeze(-1)), a


def block_strides(channels: tuple[int, ...]) -> list[int]:
    """Stride 2 in the blocks where the channel count grows (the paper's 3rd and 5th)."""
    return [2 if i > 0 and c > channels[i - 1] else 1 for i, c in enumerate(channels)]


class Backbone(nn.Module):
    """Input embedding (linear, eq. 5's ``H^(0)``) and the stack of :class:`STBlock`.

    A BatchNorm over (joint, coordinate) pairs precedes the embedding (ST-GCN's ``data_bn``)
    so that raw normalized coordinates of any spread train well. An optional movement
    embedding is added to the embedded input so one network serves several movements.
    """

    def __init__(self, adjacency: torch.Tensor, channels=(64, 64, 128, 128, 256, 256),
                 in_channels: int = 3, num_movements: int = 0, hidden=(), motion: bool = False,
                 bones=None, **block_kw):
        super().__init__()
        v = adjacency.shape[0]
        self.motion = motion  # append x[t] - x[t-1] (0 at t = 0) as in_channels more channels
        # bones: the parent of each joint (-1 for the root); appends x[v] - x[parent(v)] as
        # in_channels more channels, one matmul over the joint axis with the buffer I - P
        self.bones = bones is not None
        if self.bones:
            if len(bones) != v:
                raise ValueError(f"bones: {len(bones)} parents for {v} joints")
            to_bone = torch.zeros(v, v)
            for j, parent in enumerate(bones):
                if parent >= 0:  # the root has no bone: its row stays 0
                    to_bone[j, j], to_bone[j, parent] = 1.0, -1.0
            self.register_buffer("to_bone", to_bone.t().contiguous())
        in_channels = in_channels * (1 + int(motion) + int(self.bones))
        self.num_joints = v
        self.data_bn = nn.BatchNorm1d(in_channels * v)
        self.embed = nn.Conv2d(in_channels, channels[0], 1)
        self.movement_embed = nn.Embedding(num_movements, channels[0]) if num_movements else None
        strides = block_strides(tuple(channels))
        ins = [channels[0], *channels[:-1]]
        self.blocks = nn.ModuleList(
            STBlock(ci, co, s, adjacency, hidden=h, **block_kw)
            for ci, co, s, h in zip(ins, channels, strides, tuple(hidden) or (None,) * len(channels))
        )
        self.out_channels = channels[-1]
        self.stride = 2 ** sum(s == 2 for s in strides)

    def forward(self, x: torch.Tensor, movement: torch.Tensor | None = None):
        """x (N, 3, T, V) -> Z (N, C_T, T', V) and the last block's temporal attention (N, T')."""
        pos = x
        if self.motion:
            step = pos[:, :, 1:] - pos[:, :, :-1]
            x = torch.cat([x, torch.cat([torch.zeros_like(pos[:, :, :1]), step], dim=2)], dim=1)
        if self.bones:  # (N, C, T, V) @ (V, V): joint j -> x_j - x_parent(j), 0 at the root
            x = torch.cat([x, pos @ self.to_bone], dim=1)
        c, v = x.shape[1], x.shape[3]
        x = x.permute(0, 3, 1, 2).flatten(1, 2)  # (N, V*C, T)
        x = self.data_bn(x).unflatten(1, (v, c)).permute(0, 2, 3, 1)
        h = self.embed(x)
        if self.movement_embed is not None and movement is not None:
            h = h + self.movement_embed(movement).unsqueeze(-1).unsqueeze(-1)
        a = h.new_zeros(())
        for block in self.blocks:
            h, a = block(h)
        return h, a


def output_frames(window: int, channels: tuple[int, ...]) -> int:
    """T' for a window of ``window`` frames (each stride-2 conv maps T to ceil(T/2))."""
    t = window
    for s in block_strides(tuple(channels)):
        if s == 2:
            t = (t - 1) // 2 + 1
    return t
