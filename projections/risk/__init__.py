"""The risk register: findings, monitoring, approvals and risk acceptances per version, rated."""
