import math

import pytest
import torch
from mmengine.registry import init_default_scope
from mmpretrain.registry import METRICS
from mmpretrain.structures import DataSample

import csdnet_mm  # noqa: F401
from csdnet_mm.errors import UserInputError
from csdnet_mm.evaluation import LeaveOneOutRetrieval, leave_one_out_retrieval

# Six unit vectors given by their angle in degrees, so cosine similarity
# ranks by angular distance. Labels: A = 0, B = 1, C = 2 (C occurs once).
ANGLES = [0, 20, 35, 60, 90, 200]
LABELS = [0, 1, 0, 0, 1, 2]
# Angular distances and the leave-one-out ranking of every query
# (relevant items marked *):
#   q0 A: p1 20, p2* 35, p3* 60, p4 90, p5 160  -> relevant at ranks 2, 3
#   q1 B: p2 15, p0 20, p3 40, p4* 70, p5 180   -> relevant at rank 4
#   q2 A: p1 15, p3* 25, p0* 35, p4 55, p5 165  -> relevant at ranks 2, 3
#   q3 A: p2* 25, p4 30, p1 40, p0* 60, p5 140  -> relevant at ranks 1, 4
#   q4 B: p3 30, p2 55, p1* 70, p0 90, p5 110   -> relevant at rank 3
#   q5 C: p4 110, p3 140, p0 160, p2 165, p1 180 -> no relevant item (R = 0)
# rank-1: only q3 hits                      -> 1 / 6 = 16.67 %
# rank-3: q0, q2, q3, q4 hit                -> 4 / 6 = 66.67 %
# rank-5: every query but q5 hits           -> 5 / 6 = 83.33 %
# AP:  q0 (1/2 + 2/3) / 2 = 7/12    q1 1/4
#      q2 (1/2 + 2/3) / 2 = 7/12    q3 (1/1 + 2/4) / 2 = 3/4    q4 1/3
# mAP over the 5 queries with R > 0 (q5 left out):
#      (7/12 + 3/12 + 7/12 + 9/12 + 4/12) / 5 = (30/12) / 5 = 1/2 -> 50 %
EXPECTED = {
    'rank1': 100 / 6,
    'rank3': 400 / 6,
    'rank5': 500 / 6,
    'mAP': 50.0,
}


def _hand_example(scale=1.0):
    rad = torch.tensor(ANGLES, dtype=torch.float64) * math.pi / 180
    feats = torch.stack([rad.cos(), rad.sin()], dim=1) * scale
    return feats.float(), torch.tensor(LABELS)


def test_hand_computed_example():
    feats, labels = _hand_example()
    result = leave_one_out_retrieval(feats, labels, topk=(1, 3, 5))
    assert result == pytest.approx(EXPECTED, abs=1e-6)


def test_features_are_l2_normalised():
    # Different norms must not change a cosine ranking.
    feats, labels = _hand_example()
    feats = feats * torch.tensor([1., 5., .1, 30., 2., .5])[:, None]
    result = leave_one_out_retrieval(feats, labels, topk=(1, 3, 5))
    assert result == pytest.approx(EXPECTED, abs=1e-6)


def test_default_topk_keys():
    feats, labels = _hand_example()
    result = leave_one_out_retrieval(feats, labels)
    assert set(result) == {'rank1', 'rank5', 'mAP'}


def test_self_match_is_excluded():
    # Each point's nearest *other* point has the other class:
    #   A: 0 deg, 100 deg;  B: 10 deg, 110 deg.
    # With itself in the gallery every query would find itself first
    # (rank-1 = 100 %); left out, every nearest neighbour is wrong.
    #   q0 (0):   p2 B 10,  p1 A 100, p3 B 110  -> AP 1/2
    #   q1 (100): p3 B 10,  p2 B 90,  p0 A 100  -> AP 1/3
    #   q2 (10):  p0 A 10,  p1 A 90,  p3 B 100  -> AP 1/3
    #   q3 (110): p1 A 10,  p2 B 100, p0 A 110  -> AP 1/2
    # mAP = (1/2 + 1/3 + 1/3 + 1/2) / 4 = 5/12
    rad = torch.tensor([0., 100., 10., 110.]) * math.pi / 180
    feats = torch.stack([rad.cos(), rad.sin()], dim=1)
    labels = torch.tensor([0, 0, 1, 1])
    result = leave_one_out_retrieval(feats, labels, topk=(1, ))
    assert result['rank1'] == 0.0
    assert result['mAP'] == pytest.approx(500 / 12, abs=1e-6)


def test_ties_keep_index_order():
    # p0, p1, p2 are the same vector; p3 is orthogonal to them.
    #   q0 (0): p1 (1), p2 (0), p3 (1) by index -> relevant at 2: AP 1/2
    #   q1 (1): p0 (0), p2 (0), p3 (1)          -> relevant at 3: AP 1/3
    #   q2 (0): p0 (0), p1 (1), p3 (1)          -> relevant at 1: AP 1
    #   q3 (1): p0, p1, p2 all at 0             -> p1 at rank 2:  AP 1/2
    # rank-1 = 1/4; mAP = (1/2 + 1/3 + 1 + 1/2) / 4 = 7/12
    feats = torch.tensor([[1., 0.], [1., 0.], [1., 0.], [0., 1.]])
    labels = torch.tensor([0, 1, 0, 1])
    result = leave_one_out_retrieval(feats, labels, topk=1)
    assert result['rank1'] == pytest.approx(25.0)
    assert result['mAP'] == pytest.approx(700 / 12, abs=1e-6)


def test_query_without_relevant_item():
    # q5 alone: it lowers rank-k (a miss) but not mAP (left out).
    feats, labels = _hand_example()
    without = leave_one_out_retrieval(feats[:5], labels[:5], topk=(1, ))
    with_single = leave_one_out_retrieval(feats, labels, topk=(1, ))
    assert with_single['rank1'] == pytest.approx(
        without['rank1'] * 5 / 6, abs=1e-6)
    # p5 is last in every other ranking, so removing it moves no relevant
    # item: the five APs and their mean stay.
    assert with_single['mAP'] == pytest.approx(without['mAP'], abs=1e-6)
    # Only singletons: no AP at all, mAP is 0 and rank-k 0.
    all_single = leave_one_out_retrieval(feats, torch.arange(6))
    assert all_single == {'rank1': 0.0, 'rank5': 0.0, 'mAP': 0.0}


@pytest.mark.parametrize('chunk_size', [1, 7, 64])
def test_chunking_matches_one_chunk(chunk_size):
    gen = torch.Generator().manual_seed(0)
    feats = torch.randn(150, 16, generator=gen)
    labels = torch.randint(0, 6, (150, ), generator=gen)
    whole = leave_one_out_retrieval(
        feats, labels, topk=(1, 5, 10), chunk_size=1024)
    chunked = leave_one_out_retrieval(
        feats, labels, topk=(1, 5, 10), chunk_size=chunk_size)
    assert chunked == pytest.approx(whole, abs=1e-9)


def test_bad_inputs():
    feats, labels = _hand_example()
    with pytest.raises(UserInputError, match='topk'):
        leave_one_out_retrieval(feats, labels, topk=(0, 1))
    with pytest.raises(UserInputError, match='labels'):
        leave_one_out_retrieval(feats, labels[:3])
    with pytest.raises(UserInputError, match='at least 2'):
        leave_one_out_retrieval(feats[:1], labels[:1])


def _samples(as_dict=False):
    feats, labels = _hand_example()
    samples = []
    for feat, label in zip(feats, labels):
        sample = DataSample().set_gt_label(int(label))
        sample.set_field(feat, 'embedding')
        samples.append(sample)
    # The Evaluator hands metrics dicts (DataSample.to_dict()).
    return [s.to_dict() for s in samples] if as_dict else samples


@pytest.mark.parametrize('as_dict', [False, True])
def test_metric_process_and_evaluate(as_dict):
    init_default_scope('mmpretrain')
    metric = METRICS.build(
        dict(type='LeaveOneOutRetrieval', topk=(1, 3, 5), chunk_size=4))
    assert isinstance(metric, LeaveOneOutRetrieval)
    samples = _samples(as_dict)
    # Two batches, as a test loop would send them.
    metric.process(None, samples[:4])
    metric.process(None, samples[4:])
    result = metric.evaluate(len(samples))
    expected = {f'retrieval/{k}': v for k, v in EXPECTED.items()}
    assert result == pytest.approx(expected, abs=1e-6)


def test_metric_prefix_and_compute_metrics():
    metric = LeaveOneOutRetrieval(prefix='loo')
    metric.process(None, _samples())
    assert metric.compute_metrics(metric.results) == pytest.approx(
        {k: EXPECTED[k]
         for k in ('rank1', 'rank5', 'mAP')}, abs=1e-6)
    assert set(metric.evaluate(6)) == {'loo/rank1', 'loo/rank5', 'loo/mAP'}


def test_metric_missing_embedding():
    metric = LeaveOneOutRetrieval()
    sample = DataSample().set_gt_label(0).set_pred_score(torch.rand(3))
    with pytest.raises(UserInputError) as e:
        metric.process(None, [sample])
    msg = str(e.value)
    assert '`embedding`' in msg and 'EmbeddingRetriever' in msg
