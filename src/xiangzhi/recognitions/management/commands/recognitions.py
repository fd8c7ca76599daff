"""``xiangzhi recognitions <subcommand>``: the holders (``list --json``), one certificate's QR code
(``qr SERIAL -o file.png``), its certificate (``certificate SERIAL -o file.pdf|png``) and the public key that verifies
them (``public-key``: standard base64 on the last line)."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "法律明白人、法治带头人、学法用法示范户：名单、证书二维码、证书、核验公钥。"

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        sub = parser.add_subparsers(dest="subcommand", required=True, metavar="SUBCOMMAND")
        ls = sub.add_parser("list", help="the holders with their certificate URL")
        ls.add_argument("--json", action="store_true", dest="as_json", help="a JSON array")
        ls.add_argument("--year", type=int)
        qr = sub.add_parser("qr", help="write a certificate's QR code (PNG, or SVG by the file's suffix)")
        qr.add_argument("serial")
        qr.add_argument("-o", "--output", required=True)
        qr.add_argument("--scale", type=int, default=8)
        cert = sub.add_parser("certificate", help="write a certificate (PDF or PNG by the file's suffix)")
        cert.add_argument("serial")
        cert.add_argument("-o", "--output", required=True)
        sub.add_parser("public-key", help="print the Ed25519 public key (standard base64 of 32 bytes)")

    def handle(self, *args, **options) -> None:  # noqa: ANN002, ANN003
        getattr(self, "do_" + options["subcommand"].replace("-", "_"))(options)

    def do_list(self, options: dict) -> None:
        from xiangzhi.recognitions import certificates, selectors

        holders = selectors.all_holders()
        if options.get("year"):
            holders = holders.filter(year=options["year"])
        rows = [{"serial": r.serial, "title": r.title, "title_label": str(r.get_title_display()), "year": r.year,
                 "region_code": r.region.code, "masked_name": r.person.masked_name,
                 "valid_until": r.valid_until.isoformat(), "certificate_url": certificates.certificate_url(r)}
                for r in holders]
        if options["as_json"]:
            self.stdout.write(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in rows:
            self.stdout.write(f"{r['serial']}\t{r['year']}\t{r['title_label']}\t{r['masked_name']}\t{r['certificate_url']}")
        self.stdout.write(f"共 {len(rows)} 人")

    def _holder(self, serial: str):  # noqa: ANN202
        from xiangzhi.recognitions import selectors

        rec = selectors.holder_by_serial(serial)
        if rec is None or not rec.is_certified:
            raise CommandError(f"no live certificate with serial {serial}")
        return rec

    def do_qr(self, options: dict) -> None:
        import segno

        from xiangzhi.recognitions import certificates

        rec = self._holder(options["serial"])
        out = Path(options["output"])
        segno.make(certificates.certificate_url(rec), error="m").save(str(out), scale=max(1, options["scale"]),
                                                                      border=4)
        self.stdout.write(str(out))

    def do_certificate(self, options: dict) -> None:
        from xiangzhi.recognitions import certificates

        rec = self._holder(options["serial"])
        out = Path(options["output"])
        data = certificates.certificate_pdf(rec) if out.suffix.lower() == ".pdf" else certificates.certificate_png(rec)
        out.write_bytes(data)
        self.stdout.write(str(out))

    def do_public_key(self, options: dict) -> None:  # noqa: ARG002
        from xiangzhi.recognitions import signatures

        self.stdout.write("Ed25519 公钥（32 字节原始公钥，标准 base64）：")
        self.stdout.write(signatures.public_key_b64())
