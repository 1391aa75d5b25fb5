"""Settings that cannot work stop start-up with a message naming them; the SMS rules (length
and segments, mobile numbers, quiet hours, pacing) hold."""
from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

import pytest

from workbench.notify import sms
from workbench.notify.settings import QuietHours, SettingError, parse_quiet_hours
from workbench.plugins import PluginError

SHANGHAI = ZoneInfo("Asia/Shanghai")


def start(tmp_path, **config):
    from workbench import create_app

    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "x",
                       "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'settings.db'}", **config})


@pytest.mark.parametrize("config, words", [
    ({"WORKBENCH_SMS_QUIET_HOURS": "25:00-08:00"}, "WORKBENCH_SMS_QUIET_HOURS must look like 22:00-08:00"),
    ({"WORKBENCH_SMS_QUIET_HOURS": "night"}, "WORKBENCH_SMS_QUIET_HOURS must look like 22:00-08:00"),
    ({"WORKBENCH_SMS_QUIET_HOURS": "08:00-08:00"}, "starts and ends at the same time"),
    ({"WORKBENCH_SMS_BACKEND": "carrier-pigeon"}, "WORKBENCH_SMS_BACKEND must be one of log, http"),
    ({"WORKBENCH_SMS_BACKEND": "http"}, "needs WORKBENCH_SMS_HTTP_URL"),
    ({"WORKBENCH_SMS_BACKEND": "http", "WORKBENCH_SMS_HTTP_URL": "http://127.0.0.1:9/",
      "WORKBENCH_SMS_HTTP_TEMPLATE": "{phone: {phone}}"}, "WORKBENCH_SMS_HTTP_TEMPLATE must be a JSON body"),
    ({"WORKBENCH_SMS_BACKEND": "http", "WORKBENCH_SMS_HTTP_URL": "http://127.0.0.1:9/",
      "WORKBENCH_SMS_HTTP_TEMPLATE": '{"to": "{phone}"}'}, "must contain both {phone} and {text}"),
    ({"WORKBENCH_SMS_MAX_LENGTH": "seventy"}, "WORKBENCH_SMS_MAX_LENGTH must be a number"),
    ({"WORKBENCH_SMS_MAX_SEGMENTS": 0}, "WORKBENCH_SMS_MAX_SEGMENTS must be greater than zero"),
    ({"WORKBENCH_SMS_RATE_PER_SECOND": -1}, "WORKBENCH_SMS_RATE_PER_SECOND must be greater than zero"),
])
def test_a_setting_that_cannot_work_stops_start_up_naming_it(tmp_path, config, words):
    with pytest.raises(PluginError) as stopped:
        start(tmp_path, **config)
    assert words in str(stopped.value)
    assert "workbench.notify" in str(stopped.value)


def test_settings_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_SMS_QUIET_HOURS", "21:30-07:15")
    monkeypatch.setenv("WORKBENCH_SMTP_STARTTLS", "true")
    app = start(tmp_path)
    settings = app.extensions["workbench.notify"]
    assert settings.quiet_hours == QuietHours(time(21, 30), time(7, 15))
    assert settings.smtp_starttls is True and settings.email_enabled is False


def test_empty_quiet_hours_mean_sms_at_any_hour():
    assert parse_quiet_hours("") is None and parse_quiet_hours("  ") is None


def test_quiet_hours_across_midnight_and_within_a_day():
    night = parse_quiet_hours("22:00-08:00")
    assert night.contains(time(23, 59)) and night.contains(time(0, 0)) and night.contains(time(7, 59))
    assert not night.contains(time(8, 0)) and not night.contains(time(21, 59))
    lunch = parse_quiet_hours("12:00-13:30")
    assert lunch.contains(time(12, 45)) and not lunch.contains(time(13, 30))
    with pytest.raises(SettingError):
        parse_quiet_hours("22:00-8")


@pytest.mark.parametrize("local, until", [
    (datetime(2030, 5, 1, 23, 0), datetime(2030, 5, 2, 8, 0)),   # late evening → next morning
    (datetime(2030, 5, 2, 7, 59), datetime(2030, 5, 2, 8, 0)),   # just before → same morning
    (datetime(2030, 5, 2, 8, 0), None),                          # the morning: send now
    (datetime(2030, 5, 2, 14, 0), None),
])
def test_quiet_until_gives_the_end_of_quiet_hours_in_utc(local, until):
    utc = local.replace(tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC")).replace(tzinfo=None)
    expected = until.replace(tzinfo=SHANGHAI).astimezone(ZoneInfo("UTC")).replace(tzinfo=None) if until else None
    assert sms.quiet_until(utc, parse_quiet_hours("22:00-08:00"), SHANGHAI) == expected


@pytest.mark.parametrize("length, count", [(0, 0), (1, 1), (70, 1), (71, 2), (134, 2), (135, 3), (201, 3)])
def test_segments_count_70_characters_alone_and_67_per_part_of_a_long_sms(length, count):
    assert sms.segments("短" * length, 70) == count


def test_the_longest_sms_allowed_is_segments_times_67_characters():
    assert sms.max_characters(70, 1) == 70
    assert sms.max_characters(70, 3) == 201


@pytest.mark.parametrize("phone, mobile", [
    ("13900001111", "13900001111"), ("+86 139-0000-1111", "13900001111"), ("008613900001111", "13900001111"),
    ("0571-88886666", None), ("12345678901", None), ("", None), (None, None),
])
def test_only_mainland_mobile_numbers_receive_sms(phone, mobile):
    assert sms.mobile_number(phone) == mobile


def test_the_throttle_spaces_sends_to_the_configured_rate():
    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(round(seconds, 6))
        now[0] += seconds

    throttle = sms.Throttle(rate=4, sleep=sleep, monotonic=lambda: now[0])
    for _ in range(5):
        throttle.wait()
    assert slept == [0.25, 0.25, 0.25, 0.25]  # the first goes at once, then one every 1/4 s


def test_the_http_gateway_body_replaces_placeholders_inside_strings_only():
    gateway = sms.HttpSmsGateway("http://127.0.0.1:9/", {"a": ["{phone}", {"b": "[{text}]"}], "n": 3}, 1)
    assert gateway.body("139", 'x"y') == {"a": ["139", {"b": '[x"y]'}], "n": 3}
