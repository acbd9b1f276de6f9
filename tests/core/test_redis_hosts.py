"""The channel layer's Redis hosts: one URL, shards, or Sentinel masters (docs/DEPLOYMENT.md)."""

import pytest

from core.redis_hosts import channel_layer_hosts


def test_no_redis_means_no_hosts():
    assert channel_layer_hosts("", "", "") == []


def test_one_url_and_comma_separated_shards():
    assert channel_layer_hosts("redis://a:6379/0") == ["redis://a:6379/0"]
    assert channel_layer_hosts("redis://a:6379/0, redis://b:6379/0") == ["redis://a:6379/0", "redis://b:6379/0"]


def test_sentinels_give_one_host_per_master_and_win_over_the_url():
    hosts = channel_layer_hosts("redis://ignored:6379/0", "s1:26379, s2:26379,10.0.0.3:26380", "grid-a,grid-b")
    sentinels = [("s1", 26379), ("s2", 26379), ("10.0.0.3", 26380)]
    assert hosts == [
        {"sentinels": sentinels, "master_name": "grid-a"},
        {"sentinels": sentinels, "master_name": "grid-b"},
    ]


@pytest.mark.parametrize(
    "sentinels, masters, message",
    [("s1", "grid", "not host:port"), ("s1:port", "grid", "not host:port"), ("s1:26379", " ", "names no master")],
)
def test_a_bad_sentinel_setting_says_what_is_wrong(sentinels, masters, message):
    with pytest.raises(ValueError, match=message):
        channel_layer_hosts("", sentinels, masters)
