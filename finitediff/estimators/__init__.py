"""How a derivative is estimated from values of f: the engine behind ``derivative`` and friends.

``ladder`` (the steps), ``lines`` (values along a line), ``rows`` (f sampled
along lines and the base estimates of each row), ``windows`` (which rows of
the Richardson table to trust), ``kinks`` (smoothness checks), ``scan`` (the
adaptive walk down the ladder), ``fast`` (three-step paths for easy cases)
and ``pilot`` (the line they take their step from), ``pairs`` (the Hessian's
directions, sparse), ``fixed`` (one stencil at a given step), ``steps`` and
``route`` (how a request is routed to these). Internal: the public entry
points are in :mod:`finitediff.calculus`.
"""
