"""Case-archive adapters: where filed documents go, behind one Protocol."""
