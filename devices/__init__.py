"""Skeleton sources: Azure Kinect / Orbbec, webcam + pose estimation, recordings, simulator.
Imports ``engine`` but never ``gui`` or Qt."""
