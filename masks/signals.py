"""What other apps may follow about masks without masks depending on them (extrapolation reacts to both)."""

from django.dispatch import Signal

#: A person rejected a proposal (sent before it is deleted): ``mask``, ``user``.
proposal_rejected = Signal()

#: A person brought back a proposal they had just rejected (the page's undo): ``mask`` (the new row), ``user``.
#: Sent once it commits.
proposal_restored = Signal()

#: A person corrected a mask's pixels (brush, clicks): ``mask`` (as saved), ``user``. Sent once the change commits.
mask_corrected = Signal()
