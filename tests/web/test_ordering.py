"""The client's sequencer (web/ordering.js), run in the browser on made-up frames:
the same rules as the SDK's, docs/protocol.md section 6."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from tests.support.server import DevProcess

SETUP = """async (script) => {
  const { Sequencer } = await import('/web/ordering.js');
  const msg = (conv, seq) => ({ conv, seq, body: { text: `m${seq}` } });
  const seqs = (steps) => steps.map((s) => [s.seq, s.message ? s.message.seq : null]);
  return (new Function('Sequencer', 'msg', 'seqs', script))(Sequencer, msg, seqs);
}"""


@pytest.fixture(scope="module")
def page(browser: Browser, dev_server: DevProcess) -> Iterator[Page]:
    # The page's policy forbids building functions from strings, which these
    # checks do to run their snippets next to the module.
    context = browser.new_context(bypass_csp=True)
    opened = context.new_page()
    opened.goto(dev_server.url)
    yield opened
    context.close()


def run(page: Page, script: str) -> Any:
    return page.evaluate(SETUP, script)


def test_in_order_messages_pass_and_repeats_do_not(page: Page) -> None:
    """Each (conv, seq) is handed out once; a replayed message is dropped."""
    steps = run(
        page,
        """const order = new Sequencer({ c: 0 });
        return [seqs(order.offer(msg('c', 1))), seqs(order.offer(msg('c', 1))),
                seqs(order.offer(msg('c', 2)))];""",
    )
    assert steps == [[[1, 1]], [], [[2, 2]]]


def test_a_gap_holds_what_follows_until_it_is_filled(page: Page) -> None:
    """A message past a gap waits; the missing one releases both in order."""
    steps = run(
        page,
        """const order = new Sequencer({ c: 4 });
        const held = seqs(order.offer(msg('c', 6)));
        const gapped = order.gapped();
        return [held, gapped, seqs(order.offer(msg('c', 5))), order.gapped()];""",
    )
    assert steps == [[], True, [[5, 5], [6, 6]], False]


def test_synced_steps_over_holes(page: Page) -> None:
    """After synced up to 9, a seq that never came is skipped, not waited for."""
    steps = run(
        page,
        """const order = new Sequencer({ c: 1 });
        order.offer(msg('c', 3));
        const done = seqs(order.complete({ c: 4 }));
        return [done, order.positions()];""",
    )
    assert steps == [[[3, 3], [4, None]], {"c": 4}]


def test_own_acks_take_their_seq(page: Page) -> None:
    """A seq known from our own ack is not a gap, and survives a reset."""
    steps = run(
        page,
        """const order = new Sequencer({ c: 0 });
        order.own('c', 2);
        order.reset({ c: 0 });
        return [seqs(order.offer(msg('c', 1))), order.positions()];""",
    )
    assert steps == [[[1, 1], [2, None]], {"c": 2}]


def test_new_conversations_start_from_zero(page: Page) -> None:
    """A conversation the cursors do not know starts at 0 and is listed by positions()."""
    steps = run(
        page,
        """const order = new Sequencer({});
        return [seqs(order.offer(msg('g:x', 1))), order.positions()];""",
    )
    assert steps == [[[1, 1]], {"g:x": 1}]
