"""Model forensics: tests on a suspect model for traces of a teacher's outputs.

`radioactivity` (a watermark inherited through training), `lineage` (closeness to a candidate
parent without any watermark), `trained_on` (distillation versus validation), and `calibration`
(are the p-values honest on models that never saw the teacher). `models` is the one interface
over local, served and home-trained models that every test reads through.
"""
