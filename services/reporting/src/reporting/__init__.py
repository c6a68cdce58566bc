"""ISHC reporting: indicators N1-N16 and the simulator."""
