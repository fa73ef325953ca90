"""Supply chains: multi-tier networks, inherent risk, propagation and ranked remediation."""
