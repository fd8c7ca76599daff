"""Forms of 研判: a case's report flags and a screening round. Parsing only; the rules are in ``services``."""

from __future__ import annotations

import datetime as dt

from django import forms

from xiangzhi.core.models import Region

from .selectors import TZ

_COUNT = {"invalid": "请填写整数。", "min_value": "人数不能为负数。"}


class CaseFlagsForm(forms.Form):
    found_by_screening = forms.BooleanField(label="排查发现的纠纷", required=False)
    prevented_criminal = forms.BooleanField(label="防止民转刑", required=False)
    prevented_criminal_people = forms.IntegerField(label="涉及人数", required=False, min_value=0,
                                                   error_messages=_COUNT)
    prevented_petition = forms.BooleanField(label="防止群体性上访", required=False)
    prevented_petition_people = forms.IntegerField(label="涉及人数", required=False, min_value=0,
                                                   error_messages=_COUNT)
    agreement_performed = forms.BooleanField(label="协议已履行", required=False)

    def flags(self) -> dict:
        data = dict(self.cleaned_data)
        for name in ("prevented_criminal_people", "prevented_petition_people"):
            data[name] = data.get(name) or 0
        return data


class ScreeningForm(forms.Form):
    region = forms.ChoiceField(label="排查区域", error_messages={"invalid_choice": "请选择您辖区内的镇（街道）或村（社区）。"})
    held_on = forms.DateField(label="排查日期", error_messages={"invalid": "日期格式应为 2026-11-29。",
                                                            "required": "请填写排查日期。"})
    disputes_found = forms.IntegerField(label="发现纠纷（件）", min_value=0, error_messages={
        "invalid": "请填写整数。", "min_value": "发现纠纷数不能为负数。", "required": "请填写发现纠纷数。"})
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args, regions: list[Region], **kwargs) -> None:  # noqa: ANN002, ANN003
        super().__init__(*args, **kwargs)
        self.regions = {r.code: r for r in regions}
        self.fields["region"].choices = [(r.code, r.display_name) for r in regions]

    def clean_held_on(self) -> dt.date:
        day = self.cleaned_data["held_on"]
        if day > dt.datetime.now(TZ).date():
            raise forms.ValidationError("排查日期不能晚于今天。")
        return day

    def held_at(self) -> dt.datetime:
        return dt.datetime.combine(self.cleaned_data["held_on"], dt.time(9), tzinfo=TZ)
