"""How the demo's story prints what Alexa says: as a listener hears it, not as SSML. No stage needed."""

from __future__ import annotations

from story import PAUSE, Story, spoken_text


def reply(**speech: str) -> dict:
    return {"version": "1.0", "response": {"outputSpeech": speech}}


def test_entities_read_as_the_characters_they_stand_for():
    assert spoken_text("<speak>Here&apos;s R&amp;D: &quot;5 &lt; 7&quot;</speak>") == 'Here\'s R&D: "5 < 7"'


def test_a_break_is_a_pause_between_the_words_around_it():
    ssml = ('<speak>Here&apos;s your fact: A day on Venus is longer than its year.<break time="400ms"/>'
            "Would you like another fact?</speak>")
    assert spoken_text(ssml) == (f"Here's your fact: A day on Venus is longer than its year. {PAUSE} "
                                 "Would you like another fact?")


def test_pauses_at_either_end_or_in_a_row_are_not_shown():
    assert spoken_text('<speak><break time="1s"/>One.<break time="1s"/> <break/>Two.<break time="200ms"/></speak>') \
        == f"One. {PAUSE} Two."


def test_escaped_markup_is_text_that_is_read_out():
    ssml = '<speak>&lt;/speak&gt;&lt;audio src=&quot;x&quot;/&gt;<break time="200ms"/></speak>'
    assert spoken_text(ssml) == '</speak><audio src="x"/>'


def test_other_markup_is_dropped_and_paragraphs_stay_apart():
    ssml = '<speak><p>One <emphasis level="strong">big</emphasis> fact.</p><p>Two.</p></speak>'
    assert spoken_text(ssml) == "One big fact. Two."


def test_the_texts_own_ellipsis_is_kept():
    assert spoken_text("<speak>Wait for it…</speak>") == "Wait for it…"


def test_ssml_speech_is_heard_as_text_and_plain_text_as_it_is():
    assert Story.heard(reply(type="SSML", ssml="<speak>Goodbye &amp; thanks!</speak>")) == "Goodbye & thanks!"
    # Plain text is spoken as written: an ampersand entity in it is not markup.
    assert Story.heard(reply(type="PlainText", text="R&amp;D")) == "R&amp;D"
    assert Story.heard({"response": {}}) == ""


def test_the_checks_still_see_the_ssml_as_sent():
    sent = reply(type="SSML", ssml='<speak>Approved.<break time="300ms"/>Anything else?</speak>')
    assert Story.speech(sent) == 'Approved.<break time="300ms"/>Anything else?'
