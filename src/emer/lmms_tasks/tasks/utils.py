"""lmms-eval's hooks for the emer tasks (``!function utils.<name>`` in the YAML files): thin names over
:mod:`emer.lmms_tasks`, where the code and its tests live."""

from emer.lmms_tasks import hooks

doc_to_visual = hooks.doc_to_visual
doc_to_text = hooks.doc_to_text
doc_to_messages = hooks.doc_to_messages
doc_to_target = hooks.doc_to_target
process_results = hooks.process_results

# process_docs of each task: its documents from emer's dataset registry and the user's videos
docs_emer_ovmerd_s0 = hooks.documents_of("emer_ovmerd_s0")
docs_emer_ovmerd_s1 = hooks.documents_of("emer_ovmerd_s1")
docs_emer_unibench_mer2023 = hooks.documents_of("emer_unibench_mer2023")
docs_emer_unibench_mer2024 = hooks.documents_of("emer_unibench_mer2024")
docs_emer_unibench_meld = hooks.documents_of("emer_unibench_meld")
docs_emer_unibench_iemocap = hooks.documents_of("emer_unibench_iemocap")
docs_emer_unibench_cmumosi = hooks.documents_of("emer_unibench_cmumosi")
docs_emer_unibench_cmumosei = hooks.documents_of("emer_unibench_cmumosei")
docs_emer_unibench_sims = hooks.documents_of("emer_unibench_sims")
docs_emer_unibench_simsv2 = hooks.documents_of("emer_unibench_simsv2")
docs_emer_unibench_ovmerd_plus = hooks.documents_of("emer_unibench_ovmerd_plus")

# aggregation of each metric: its value in the task's emer scorecard
m_avg = hooks.aggregator("m_avg")
m1 = hooks.aggregator("m1")
m2 = hooks.aggregator("m2")
w1_l1 = hooks.aggregator("w1_l1")
w1_l2 = hooks.aggregator("w1_l2")
w2_l1 = hooks.aggregator("w2_l1")
w2_l2 = hooks.aggregator("w2_l2")
w3_l1 = hooks.aggregator("w3_l1")
w3_l2 = hooks.aggregator("w3_l2")
w4_l1 = hooks.aggregator("w4_l1")
w4_l2 = hooks.aggregator("w4_l2")
w5_l1 = hooks.aggregator("w5_l1")
w5_l2 = hooks.aggregator("w5_l2")
l1_avg = hooks.aggregator("l1_avg")
unibench_score = hooks.aggregator("unibench_score")
score_name = hooks.aggregator("score_name")
signature = hooks.aggregator("signature")
predictions = hooks.aggregator("predictions")
