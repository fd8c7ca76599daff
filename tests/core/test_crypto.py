"""Personal data is encrypted at rest with AES-GCM, bound to its column, rotatable, and findable by blind index."""

import base64

import pytest
from django.db import connection

from tests.conftest import valid_id_number
from xiangzhi.core import crypto, services
from xiangzhi.core.models import Person


def test_round_trip_and_column_binding():
    stored = crypto.encrypt("13812345678", context="core.person.phone")
    assert stored.startswith("v1:") and "13812345678" not in stored
    assert crypto.decrypt(stored, context="core.person.phone") == "13812345678"
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(stored, context="core.person.id_number")


def test_a_tampered_ciphertext_is_refused():
    stored = crypto.encrypt("secret", context="x")
    prefix, kid, payload = stored.split(":")
    raw = bytearray(base64.urlsafe_b64decode(payload))
    raw[-1] ^= 1
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(f"{prefix}:{kid}:{base64.urlsafe_b64encode(bytes(raw)).decode()}", context="x")


def test_keyring_parsing_fails_loudly():
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        crypto.parse_keyring("k1:notbase64!!")
    with pytest.raises(ImproperlyConfigured):
        crypto.parse_keyring("k1:" + base64.b64encode(b"short").decode())
    ring = crypto.parse_keyring(f"k2:{base64.b64encode(bytes(32)).decode()},k1:{base64.b64encode(bytes([1]) * 32).decode()}")
    assert ring.active_id == "k2" and set(ring.keys) == {"k1", "k2"}


@pytest.mark.django_db
def test_the_database_holds_only_ciphertext_and_blind_indexes():
    id_number = valid_id_number("33048319800101123")
    person = services.create_person(name="张三", id_number=id_number, phone="13812345678", address="乌镇镇东栅",
                                    actor=None)
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_number, phone, address, id_number_index FROM core_person WHERE id = %s", [person.pk])
        raw = cursor.fetchone()
    assert all(value.startswith("v1:") for value in raw[:3])
    assert id_number not in "".join(raw) and "13812345678" not in "".join(raw)
    assert list(services.find_people_by_id_number(id_number.lower())) == [person]
    assert list(services.find_people_by_phone("+86 13812345678")) == [person]


@pytest.mark.django_db
def test_the_same_id_number_is_one_person():
    id_number = valid_id_number("33048319800101123")
    a = services.create_person(name="张三", id_number=id_number, actor=None)
    b = services.create_person(name="张三", id_number=id_number, phone="13812345678", actor=None)
    assert a.pk == b.pk and Person.objects.get(pk=a.pk).phone == "13812345678"


@pytest.mark.django_db
def test_key_rotation_re_encrypts_under_the_new_key(settings):
    person = services.create_person(name="李四", phone="13912345678", actor=None)
    old = settings.XIANGZHI_ENCRYPTION_KEYS
    settings.XIANGZHI_ENCRYPTION_KEYS = f"knew:{base64.b64encode(bytes([7]) * 32).decode()},{old}"
    assert services.rotate_encryption_keys() >= 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM core_person WHERE id = %s", [person.pk])
        assert cursor.fetchone()[0].startswith("v1:knew:")
    assert Person.objects.get(pk=person.pk).phone == "13912345678"
    assert services.rotate_encryption_keys() == 0
