"""Framework-free image I/O and metrics: numpy and OpenCV in, numpy out, no Django import.

``vision.io`` reads and writes RGB frames and binary masks (from paths or bytes); ``vision.metrics`` scores masks
(J, Dice, the DAVIS boundary F, J&F) and boxes (IoU). Training, evaluation, extrapolation, the live page and the
reports use them, so a score or a decoded frame means the same everywhere.
"""
