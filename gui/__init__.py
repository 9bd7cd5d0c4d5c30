"""KineScore desktop application (PySide6 + pyqtgraph). The only package that imports Qt.

One widget a file:

=====================  ====================================================================
``app``                entry point ``kinescore`` (``--demo``: simulator, bundled model, demo
                       class in a throwaway database)
``main_window``        menus, shortcuts, banners; wires the pieces together
``roster_panel``       classes, students, each student's latest grade per movement
``live_panel``         movement, Start/Stop, the live skeleton view, device fps / drops
``results_panel``      live estimate, stage bars, final score, grade, feedback, repetitions
``replay_panel``       review of a saved attempt: timeline, playback, override
``skeleton_view``      the 2D skeleton / image overlay (pyqtgraph)
``stage_bars``         the four stage score bars
``timeline``           stage-marked timeline with scrubbing
``settings_dialog``    device, model, grade thresholds, language, video or skeleton only
``banner``             non-blocking, actionable messages
=====================  ====================================================================

Non-widget modules: ``controller`` (device + live scorer + the pull timer), ``records_service``
(database calls off the UI thread), ``tasks`` (thread pools with UI-thread callbacks),
``services`` (model loading, device advice), ``settings`` (QSettings), ``i18n`` / ``texts``
(translations), ``bench`` (performance benchmark), ``screenshots`` (README images).
"""
