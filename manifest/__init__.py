"""App manifests as data: slack/manifest.yaml (and the Teams app package), read by bot/manifests.py."""
