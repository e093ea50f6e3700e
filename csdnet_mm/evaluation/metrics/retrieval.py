from typing import Dict, List, Optional, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmengine.structures import BaseDataElement
from mmpretrain.registry import METRICS

from ...errors import UserInputError


def _check_topk(owner: str, topk: Union[int,
                                        Sequence[int]]) -> Tuple[int, ...]:
    topk = (topk, ) if isinstance(topk, int) else tuple(topk)
    if not topk or any(not isinstance(k, int) or k < 1 for k in topk):
        raise UserInputError(
            f'{owner}: topk={topk!r} must be a positive int or a non-empty '
            'sequence of positive ints.')
    return topk


def leave_one_out_retrieval(features: torch.Tensor,
                            labels: torch.Tensor,
                            topk: Union[int, Sequence[int]] = (1, 5),
                            chunk_size: int = 1024) -> Dict[str, float]:
    """Leave-one-out retrieval scores on one set of embeddings.

    Every sample queries all *other* samples, ranked by cosine similarity
    (descending; ties keep index order). An item is relevant when it has the
    query's class label (SynthPairs' retrieval protocol:
    docs/methods/synthpairs.md, "Evaluation protocols").

    * ``rank{k}``: % of queries with at least one relevant item in the top
      k (a query without relevant items counts as a miss).
    * ``mAP``: mean over queries of AP = (1/R) sum_j j / rank_j over the R
      relevant items of the full ranking, in %. Queries with R = 0 (the
      only sample of their class) have no AP and are left out of the mean;
      if no query has a relevant item, mAP is 0.

    Similarities are computed in float32 ``chunk_size`` queries at a time,
    so memory grows as chunk_size x N, not N x N.

    Args:
        features (Tensor): (N, d) embeddings; L2-normalised here.
        labels (Tensor): (N, ) class labels.
        topk (int | Sequence[int]): The k of each ``rank{k}``.
            Defaults to (1, 5).
        chunk_size (int): Queries per similarity chunk. Defaults to 1024.

    Returns:
        dict: ``rank{k}`` for each k and ``mAP``, as floats in 0..100.
    """
    owner = 'leave_one_out_retrieval'
    topk = _check_topk(owner, topk)
    if chunk_size < 1:
        raise UserInputError(f'{owner}: chunk_size={chunk_size} must be '
                             '>= 1.')
    if features.dim() != 2:
        raise UserInputError(f'{owner}: features must be (N, d), got shape '
                             f'{tuple(features.shape)}.')
    labels = labels.reshape(-1).to(features.device)
    num = features.size(0)
    if labels.numel() != num:
        raise UserInputError(f'{owner}: {num} features but {labels.numel()} '
                             'labels.')
    if num < 2:
        raise UserInputError(f'{owner}: leave-one-out retrieval needs at '
                             f'least 2 samples, got {num}.')
    if not torch.isfinite(features).all():
        raise UserInputError(f'{owner}: features contain NaN or inf.')

    feats = F.normalize(features.float(), dim=1)
    hits = torch.zeros(len(topk), dtype=torch.float64)
    ap_sum = 0.
    num_with_relevant = 0
    # 1-based rank of each gallery position (the query itself is removed).
    ranks = torch.arange(1, num, device=feats.device, dtype=torch.float64)
    for start in range(0, num, chunk_size):
        query = feats[start:start + chunk_size]
        rows = torch.arange(query.size(0), device=feats.device)
        sim = query @ feats.t()
        # Cosine similarities lie in [-1, 1], so -inf sorts the self-match
        # strictly last and dropping the last column removes it.
        sim[rows, rows + start] = float('-inf')
        order = torch.sort(sim, dim=1, descending=True, stable=True)[1]
        order = order[:, :num - 1]
        query_labels = labels[start:start + query.size(0)]
        relevant = labels[order] == query_labels[:, None]

        for i, k in enumerate(topk):
            hits[i] += relevant[:, :k].any(dim=1).sum().item()

        num_relevant = relevant.sum(dim=1)
        # j / rank_j at each relevant position, 0 elsewhere.
        precision = relevant.cumsum(dim=1).double() / ranks
        ap_numer = (precision * relevant).sum(dim=1)
        has_relevant = num_relevant > 0
        ap = ap_numer[has_relevant] / num_relevant[has_relevant]
        ap_sum += ap.sum().item()
        num_with_relevant += int(has_relevant.sum())

    results = {
        f'rank{k}': float(hits[i]) / num * 100
        for i, k in enumerate(topk)
    }
    results['mAP'] = (
        ap_sum / num_with_relevant * 100 if num_with_relevant else 0.)
    return results


@METRICS.register_module()
class LeaveOneOutRetrieval(BaseMetric):
    """Leave-one-out image retrieval by class label (rank-k and mAP).

    Each test image queries all other test images; see
    :func:`leave_one_out_retrieval` for the protocol. Reads from every data
    sample the field ``embedding`` (a 1-D tensor, set by
    :class:`~csdnet_mm.models.retrievers.EmbeddingRetriever`'s ``predict``)
    and ``gt_label``. Results are named ``{prefix}/rank{k}`` and
    ``{prefix}/mAP``.

    MMPretrain's ``RetrievalRecall`` / ``RetrievalAveragePrecision`` do not
    fit this protocol: they read ``gt_label`` as gallery indices and keep
    the query in its own gallery.

    Args:
        topk (int | Sequence[int]): The k of each ``rank{k}``.
            Defaults to (1, 5).
        collect_device (str): Where results are gathered across ranks,
            ``'cpu'`` or ``'gpu'``. Defaults to ``'cpu'``.
        prefix (str, optional): Prefix of the metric names.
            Defaults to ``'retrieval'``.
        chunk_size (int): Queries per similarity chunk. Defaults to 1024.
    """

    default_prefix: Optional[str] = 'retrieval'

    def __init__(self,
                 topk: Union[int, Sequence[int]] = (1, 5),
                 collect_device: str = 'cpu',
                 prefix: Optional[str] = 'retrieval',
                 chunk_size: int = 1024):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.topk = _check_topk('LeaveOneOutRetrieval', topk)
        if chunk_size < 1:
            raise UserInputError(f'LeaveOneOutRetrieval: chunk_size='
                                 f'{chunk_size} must be >= 1.')
        self.chunk_size = chunk_size

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Store each sample's ``embedding`` and ``gt_label``.

        Args:
            data_batch: A batch from the dataloader (unused).
            data_samples (Sequence[dict | DataSample]): The model's outputs.
        """
        for data_sample in data_samples:
            if isinstance(data_sample, BaseDataElement):
                data_sample = data_sample.to_dict()
            if 'embedding' not in data_sample:
                raise UserInputError(
                    'LeaveOneOutRetrieval: the model output has no '
                    '`embedding` field. Use the `EmbeddingRetriever` model '
                    '(model=dict(type=\'EmbeddingRetriever\', backbone=..., '
                    'neck=...)) or a model whose predict sets `embedding`.')
            if 'gt_label' not in data_sample:
                raise UserInputError(
                    'LeaveOneOutRetrieval: a data sample has no `gt_label`; '
                    'retrieval relevance needs the class label of every '
                    'test image (check the test dataset and its pipeline).')
            gt_label = torch.as_tensor(data_sample['gt_label']).reshape(-1)
            if gt_label.numel() != 1:
                raise UserInputError(
                    'LeaveOneOutRetrieval: expected one class label per '
                    f'sample, got gt_label={gt_label.tolist()}.')
            embedding = torch.as_tensor(data_sample['embedding'])
            self.results.append(
                dict(
                    embedding=embedding.detach().float().reshape(-1).cpu(),
                    gt_label=int(gt_label[0])))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        """Compute rank-k and mAP over all collected samples."""
        dims = {res['embedding'].numel() for res in results}
        if len(dims) > 1:
            raise UserInputError(
                'LeaveOneOutRetrieval: embeddings have different sizes '
                f'{sorted(dims)}.')
        features = torch.stack([res['embedding'] for res in results])
        labels = torch.tensor([res['gt_label'] for res in results])
        metrics = leave_one_out_retrieval(
            features, labels, topk=self.topk, chunk_size=self.chunk_size)
        if len(results) and metrics['mAP'] == 0. and \
                torch.unique(labels).numel() == len(labels):
            print_log(
                'LeaveOneOutRetrieval: every test label occurs once, so no '
                'query has a relevant item; mAP is reported as 0.',
                logger='current')
        return metrics
