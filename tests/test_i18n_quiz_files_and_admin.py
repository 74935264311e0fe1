"""A quiz file's errors and the host's ``studycircle server`` commands, in Indonesian.

A quiz file's error keeps where it is (the file, the line) and the file's own words (a
key, a letter, a brace) and says the rest in the member's language; the English stays
as it was. The server's admin commands answer the host in theirs (``--lang id``).
"""

import pytest

from studycircle_tui import cli, i18n
from studycircle_tui.core import quizformats

# (format, the file, the Indonesian the error must hold, its English)
BROKEN = [
    (
        "gift",
        "Apa itu list? {=wadah berurutan ~kamus",
        "baris 1: '{' tidak ditutup dengan '}' sebelum akhir berkas",
        "line 1: '{' is not closed by '}' before the end of the file",
    ),
    (
        "gift",
        "Soal satu {=a ~b}\nSoal dua {=c ~d}",
        "baris 2: blok jawaban kedua: apakah baris kosong sebelum baris 2 terlewat?",
        "line 2: a second answer block: is a blank line missing before line 2?",
    ),
    (
        "gift",
        "Berapa 2+2? {#}",
        "soal angka {#...} perlu paling sedikit satu angka",
        "a numerical question {#...} needs at least one number",
    ),
    (
        "aiken",
        "Ibu kota Indonesia?\nA. Jakarta\nC. Bandung\nANSWER: A",
        "baris 3: opsi C padahal seharusnya opsi B",
        "line 3: option C where option B was expected",
    ),
    (
        "aiken",
        "Ibu kota Indonesia?\nA. Jakarta\nB. Bandung\nANSWER: D",
        "ANSWER: D, padahal opsinya hanya dari A sampai B",
        "ANSWER: D, but the options go from A to B",
    ),
    (
        "toml",
        'title = "Kuis"\n[[questions]]\nkind = "multiple_choice"\ntext = "?"\nchoicez = []\n',
        "soal 1: kunci 'choicez' tidak dikenal (maksudnya 'choices'?); yang boleh:",
        "question 1: unknown key 'choicez' (did you mean 'choices'?); allowed:",
    ),
    (
        "toml",
        'title = "Kuis"\n[[questions]]\nkind = "numerical"\ntext = "?"\n'
        "[[questions.answers]]\ntolerance = 1\n",
        "soal 1: answers isian ke-1: perlu value, atau low dan high",
        "question 1: answers entry 1: needs a value, or low and high",
    ),
]


@pytest.mark.parametrize(("form", "text", "indonesian", "english"), BROKEN)
def test_a_quiz_files_error_in_indonesian_keeps_its_place_and_words(
    form, text, indonesian, english
):
    with pytest.raises(quizformats.QuizFormatError) as raised:
        quizformats.read(text, form, title="kuis")
    error = raised.value
    assert english in str(error)  # the English, as logs and older tests read it
    with i18n.speaking("id"):
        said = i18n.error_text(error)
    assert indonesian in said, said
    assert english not in said


def test_quiz_check_says_a_files_error_in_indonesian(tmp_path, capsys):
    bad = tmp_path / "latihan.gift"
    bad.write_text("Apa itu tuple? {=urutan tetap ~bisa diubah\n", encoding="utf-8")
    assert cli.main(["--lang", "id", "quiz", "check", str(bad)]) != 0
    said = capsys.readouterr().err
    assert f"{bad}:1: '{{' tidak ditutup dengan '}}' sebelum akhir berkas" in said, said


def test_the_server_admin_commands_answer_in_indonesian(tmp_path, capsys):
    data = str(tmp_path / "srv")
    assert cli.main(["--lang", "id", "server", "create-circle", "Klub Python", "--data", data]) == 0
    out = capsys.readouterr().out
    assert "lingkar 'Klub Python' dibuat" in out
    assert "undangan untuk ketua pendiri (sekali pakai, berlaku 30 hari)" in out
    assert "undangan lain: studycircle server invite" in out

    assert cli.main(["--lang", "id", "server", "members", "Klub Python", "--data", data]) == 0
    listed = capsys.readouterr().out
    assert "Klub Python" in listed and "1 anggota" in listed and "ketua" in listed

    assert (
        cli.main(["--lang", "id", "server", "invite", "Klub Python", "--uses", "5", "--data", data])
        == 0
    )
    assert "(peran anggota, 5 kali pakai, kedaluwarsa dalam 7d)" in capsys.readouterr().err

    assert cli.main(["--lang", "id", "server", "invite", "Klub Java", "--data", data]) != 0
    said = capsys.readouterr().err
    assert "studycircle: galat: tidak ada lingkar 'Klub Java' di server ini" in said, said

    assert (
        cli.main(["--lang", "id", "server", "revoke", "--invite", "TIDAKADA", "--data", data]) != 0
    )
    assert (
        "studycircle: galat: kode undangan itu tidak ada di server ini" in capsys.readouterr().err
    )


def test_the_server_admin_commands_stay_english_in_english(tmp_path, capsys):
    data = str(tmp_path / "srv")
    assert cli.main(["--lang", "en", "server", "create-circle", "Python Club", "--data", data]) == 0
    assert "founding lead's invite (one use, valid 30 days)" in capsys.readouterr().out
    assert cli.main(["--lang", "en", "server", "invite", "Java", "--data", data]) != 0
    assert "studycircle: error: no circle 'Java' on this server" in capsys.readouterr().err
