"""TCP over the simulated Ethernet: one connection carrying data from a client to a server.

What is modelled, per segment and per ACK:

* connection set-up: SYN, SYN-ACK, ACK, with SYN retransmission (doubling from
  ``connect_rto``) and the connection-establishment timeout;
* a sliding window: the sender keeps at most min(advertised window, congestion window) bytes
  unacknowledged, and the application can have at most ``send_buffer`` bytes queued; the
  receiver advertises its free buffer and sends a window update when its application reads
  (the BSD rule: the window grew by 2 MSS or by half the buffer);
* delayed ACKs: an ACK for every ``ack_every`` full segments, otherwise after the delayed-ACK
  timer (BSD style: the timer runs from the first unacknowledged segment); out-of-order and
  duplicate segments are acknowledged at once;
* slow start and congestion avoidance (cwnd from ``initial_cwnd`` segments), fast
  retransmit after ``dupack_threshold`` duplicate ACKs, and on a retransmission timeout a
  Tahoe-style go-back-N from the first unacknowledged byte with exponential backoff; the
  connection is dropped after ``max_retransmits`` back-to-back timeouts, which is how a cut
  link is reported;
* silly-window avoidance and Nagle's algorithm, with the tail of the data pushed when the
  application closes (the FIN carries it, as in BSD ``tcp_output``);
* per-packet and per-byte protocol-stack CPU cost on both hosts: the sender pays for each
  data segment and each ACK it receives, the receiver for each segment and each ACK it
  sends, and all of it queues on the host CPU together with file-system work.

Not modelled: IP fragmentation, options (timestamps, window scaling), urgent data, the
FIN handshake after the last byte is delivered (the transfer ends when the receiving
application has the last byte), RTT estimation (on a LAN the RTO clamps to its minimum).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

import simpy

from testbed.net.engine import Host, Sim
from testbed.net.params import LinkParams


class TcpConnection:
    """A one-way bulk transfer connection between two simulated hosts."""

    def __init__(self, sim: Sim, link: LinkParams, client: Host, server: Host,
                 on_fail: Callable[[str], None], immediate_reader: bool = True) -> None:
        self.sim = sim
        self.link = link
        self.client = client
        self.server = server
        self.on_fail = on_fail
        self.mss = link.mss
        self.ctl_wire = link.frame_wire_bytes(0)
        self.full_wire = link.frame_wire_bytes(link.mss)

        self.established = False
        self.failed = False
        self.finished = False
        self.established_event = sim.event()

        # Sender (client) state, in bytes of the stream.
        self.snd_una = 0
        self.snd_nxt = 0
        self.snd_max = 0
        self.written = 0  # accepted into the send buffer
        self.offered = 0  # the application asked to write this much
        self.closed = False
        self.cwnd = link.initial_cwnd * link.mss
        self.ssthresh = 1 << 30
        self.snd_wnd = link.mss  # until the SYN-ACK says otherwise
        self.max_sndwnd = link.mss
        self.dupacks = 0
        self.rexmt_seq: int | None = None
        self.outputting = False
        self.rto_shift = 0
        self.timer_deadline: float | None = None
        self.timer_scheduled = False
        self.persisting = False
        self.force = False
        self._write_waiters: deque[tuple[int, simpy.Event]] = deque()
        self._syn_tries = 0
        self._syn_rto = link.connect_rto

        # Receiver (server) state.
        self.rcv_nxt = 0
        self.rcv_adv = 0
        self.ooo: dict[int, int] = {}  # out-of-order segments: start -> end
        self.unread = 0
        self.unacked_bytes = 0
        self.delack_scheduled = False
        self.immediate_reader = immediate_reader
        self.on_data: Callable[[int], None] | None = None
        self._reader: tuple[int, simpy.Event] | None = None

        # Counters for the result.
        self.data_segments = 0
        self.ack_segments = 0
        self.retransmitted_segments = 0
        self.timeouts = 0
        self.fast_retransmits = 0

    # ------------------------------------------------------------------ set-up

    def connect(self) -> simpy.Event:
        """Start the three-way handshake; the returned event fires when established."""
        self.sim.at(self.link.connect_timeout, self._connect_timeout)
        self._send_syn()
        return self.established_event

    def _send_syn(self) -> None:
        c = self.client
        c.cpu.run(c.per_packet, self._emit_ctl, c, self._syn_arrived)
        self.sim.at(self._syn_rto, self._syn_timer, self._syn_tries)

    def _emit_ctl(self, host: Host, deliver: Callable[..., None]) -> None:
        if not self.failed:
            host.nic.send(self.ctl_wire, deliver)

    def _syn_arrived(self, ok: bool) -> None:
        if ok and not self.failed:
            s = self.server
            s.cpu.run(2 * s.per_packet, self._emit_ctl, s, self._synack_arrived)

    def _synack_arrived(self, ok: bool) -> None:
        if ok and not self.established and not self.failed:
            c = self.client
            c.cpu.run(2 * c.per_packet, self._become_established)

    def _become_established(self) -> None:
        if self.established or self.failed:
            return
        self.established = True
        self.snd_wnd = self.max_sndwnd = self.link.recv_window
        self.rcv_adv = self.link.recv_window
        self.client.nic.send(self.ctl_wire, self._handshake_ack_arrived)
        self.established_event.succeed()
        self._try_output()

    def _handshake_ack_arrived(self, ok: bool) -> None:
        if ok:
            self.server.cpu.run(self.server.per_packet, _nothing)

    def _syn_timer(self, tries: int) -> None:
        if self.established or self.failed or tries != self._syn_tries:
            return
        self._syn_tries += 1
        self.retransmitted_segments += 1
        self._syn_rto *= 2
        self._send_syn()

    def _connect_timeout(self) -> None:
        if not self.established and not self.failed:
            self._fail(f"connection set-up timed out after {self.link.connect_timeout:g} s "
                       f"({self._syn_tries} SYN retransmissions)")

    # ------------------------------------------------------------------ application side

    def write(self, nbytes: int) -> simpy.Event:
        """The client application writes ``nbytes``, as write() on a BSD socket does.

        The event fires when all the bytes are in the send buffer and the sender has sent
        what the window allows: BSD ``sosend`` runs ``tcp_output`` in the writing process, so
        the per-byte cost of sending is not overlapped with what the process does next
        (rcp's next disk read). Data beyond the window is sent later, on ACK arrival.
        """
        self.offered += nbytes
        ev = self.sim.event()
        self._write_waiters.append((self.offered, ev))
        self._fill_send_buffer()
        self._try_output()
        return ev

    def close(self) -> None:
        """The client application closes: the FIN pushes out a tail held back by Nagle."""
        self.closed = True
        self._try_output()

    def recv(self, nbytes: int) -> simpy.Event:
        """The server application reads up to ``nbytes``, as read() on a socket does.

        The event fires, with the count, as soon as at least one byte is there.
        """
        ev = self.sim.event()
        self._reader = (nbytes, ev)
        self._serve_reader()
        return ev

    def finish(self) -> None:
        """The transfer is over: stop timers and output (nothing further is simulated)."""
        self.finished = True

    def _fill_send_buffer(self) -> None:
        room = self.snd_una + self.link.send_buffer
        written = self.offered if self.offered < room else room
        if written > self.written:
            self.written = written

    def _wake_writers(self) -> None:
        """Output has stalled (all sent, or window-bound): writers whose data is in return."""
        waiters = self._write_waiters
        while waiters and waiters[0][0] <= self.written:
            waiters.popleft()[1].succeed()

    # ------------------------------------------------------------------ sender

    def _try_output(self) -> None:
        if self.outputting or not self.established or self.failed or self.finished:
            return
        if not self._output_one():
            self._wake_writers()

    def _output_one(self) -> bool:
        """Start sending one segment if the window, the data and the SWS rules allow."""
        mss = self.mss
        if self.rexmt_seq is not None:
            seq = self.rexmt_seq
            self.rexmt_seq = None
            length = min(mss, self.snd_max - seq)
            if seq >= self.snd_una and length > 0:
                self._transmit(seq, length, advance=False)
                return True
        wnd = self.snd_wnd if self.snd_wnd < self.cwnd else self.cwnd
        nxt = self.snd_nxt
        length = min(mss, self.snd_una + wnd - nxt, self.written - nxt)
        if length < mss:
            idle = self.snd_max == self.snd_una
            send = length > 0 and (
                self.force
                or (nxt + length >= self.written and (idle or (self.closed and self.written == self.offered)))
                or 2 * length >= self.max_sndwnd
                or nxt < self.snd_max
            )
            if not send:
                if idle and self.written > nxt and self.timer_deadline is None:
                    self._arm_timer()  # persist: the window is closed and nothing is in flight
                return False
        self.force = False
        self._transmit(nxt, length, advance=True)
        return True

    def _transmit(self, seq: int, length: int, advance: bool) -> None:
        self.outputting = True
        end = seq + length
        if seq < self.snd_max:
            self.retransmitted_segments += 1
        if advance:
            self.snd_nxt = end
        if end > self.snd_max:
            self.snd_max = end
        c = self.client
        c.cpu.run(c.per_packet + c.per_byte * length, self._emit_data, seq, length)

    def _emit_data(self, seq: int, length: int) -> None:
        self.outputting = False
        if self.failed or self.finished:
            return
        wire = self.full_wire if length == self.mss else self.link.frame_wire_bytes(length)
        self.data_segments += 1
        self.client.nic.send(wire, self._data_arrived, seq, length)
        if self.timer_deadline is None:
            self._arm_timer()
        self._try_output()

    def _ack_arrived(self, ok: bool, ack: int, wnd: int) -> None:
        if ok and not self.failed and not self.finished:
            c = self.client
            c.cpu.run(c.per_packet, self._ack_input, ack, wnd)

    def _ack_input(self, ack: int, wnd: int) -> None:
        if self.failed or self.finished:
            return
        mss = self.mss
        if self.persisting:
            self.persisting = False
            self.rto_shift = 0  # the peer answered the probe: it is alive
        if ack > self.snd_una:
            self.snd_una = ack
            if self.snd_nxt < ack:
                self.snd_nxt = ack
            self.dupacks = 0
            self.rto_shift = 0
            if self.cwnd < self.ssthresh:
                self.cwnd += mss
            else:
                self.cwnd += max(1, mss * mss // self.cwnd)
            if self.cwnd > 1 << 16:
                self.cwnd = 1 << 16
            if self.snd_una >= self.snd_max:
                self.timer_deadline = None
            else:
                self._arm_timer()
            self.snd_wnd = wnd
            self._fill_send_buffer()
        elif ack == self.snd_una:
            if self.snd_max > self.snd_una and wnd == self.snd_wnd:
                self.dupacks += 1
                if self.dupacks == self.link.dupack_threshold:
                    self.fast_retransmits += 1
                    self.ssthresh = max(min(self.cwnd, self.snd_wnd) // 2 // mss, 2) * mss
                    self.cwnd = self.ssthresh
                    self.rexmt_seq = self.snd_una
            self.snd_wnd = wnd
        if wnd > self.max_sndwnd:
            self.max_sndwnd = wnd
        self._try_output()

    def _arm_timer(self) -> None:
        link = self.link
        rto = min(link.rto_min * (1 << self.rto_shift), link.rto_max)
        self.timer_deadline = self.sim.env.now + rto
        if not self.timer_scheduled:
            self.timer_scheduled = True
            self.sim.at(rto, self._timer_fire)

    def _timer_fire(self) -> None:
        """The retransmission (or persist) timer: lazily re-armed, so one event per period."""
        self.timer_scheduled = False
        if self.failed or self.finished or self.timer_deadline is None:
            return
        now = self.sim.env.now
        if now < self.timer_deadline - 1e-12:
            self.timer_scheduled = True
            self.sim.at(self.timer_deadline - now, self._timer_fire)
            return
        self.timer_deadline = None
        self.rto_shift += 1
        if self.rto_shift > self.link.max_retransmits:
            self._fail(f"connection timed out after {self.link.max_retransmits} retransmission "
                       f"timeouts ({self.rcv_nxt} of {max(self.offered, self.rcv_nxt)} bytes delivered)")
            return
        self.timeouts += 1
        mss = self.mss
        if self.snd_max > self.snd_una:
            self.ssthresh = max(min(self.cwnd, self.snd_wnd) // 2 // mss, 2) * mss
            self.cwnd = mss
            self.snd_nxt = self.snd_una
            self.dupacks = 0
            self.rexmt_seq = None
        else:
            # Persist: force out what the window allows, or probe a closed window.
            self.persisting = True
            if self.snd_una + self.snd_wnd > self.snd_nxt:
                self.force = True
            else:
                c = self.client
                c.cpu.run(c.per_packet, self._emit_probe)
        self._arm_timer()
        self._try_output()

    def _emit_probe(self) -> None:
        if not self.failed and not self.finished:
            self.client.nic.send(self.ctl_wire, self._data_arrived, self.snd_una, 0)

    # ------------------------------------------------------------------ receiver

    def _data_arrived(self, ok: bool, seq: int, length: int) -> None:
        if ok and not self.failed and not self.finished:
            s = self.server
            s.cpu.run(s.per_packet + s.per_byte * length, self._data_input, seq, length)

    def _data_input(self, seq: int, length: int) -> None:
        if self.failed or self.finished:
            return
        if length == 0:  # window probe
            self._send_ack()
            return
        end = seq + length
        rcv_nxt = self.rcv_nxt
        if end <= rcv_nxt:  # duplicate: the sender went back; tell it where we are
            self._send_ack()
            return
        if seq > rcv_nxt:  # out of order: keep it, and send a duplicate ACK at once
            if self.ooo.get(seq, 0) < end:
                self.ooo[seq] = end
            self._send_ack()
            return
        filled_hole = bool(self.ooo)
        rcv_nxt = end
        while self.ooo:
            ready = [s for s in self.ooo if s <= rcv_nxt]
            if not ready:
                break
            for s in ready:
                e = self.ooo.pop(s)
                if e > rcv_nxt:
                    rcv_nxt = e
        new = rcv_nxt - self.rcv_nxt
        self.rcv_nxt = rcv_nxt
        self.unacked_bytes += new
        if self.immediate_reader:
            if self.on_data is not None:
                self.on_data(rcv_nxt)
            if self.finished or self.failed:
                return
        else:
            self.unread += new
            self._serve_reader()
        if filled_hole or self.unacked_bytes >= self.link.ack_every * self.mss:
            self._send_ack()
        elif self.unacked_bytes > 0 and not self.delack_scheduled:
            self.delack_scheduled = True
            self.sim.at(self.link.delack_timeout, self._delack_fire)

    def _delack_fire(self) -> None:
        self.delack_scheduled = False
        if self.unacked_bytes > 0 and not self.failed and not self.finished:
            self._send_ack()

    def _serve_reader(self) -> None:
        reader = self._reader
        if reader is not None and self.unread > 0:
            self._reader = None
            n = min(reader[0], self.unread)
            self.unread -= n
            reader[1].succeed(n)
            wnd = self.link.recv_window - self.unread
            grown = self.rcv_nxt + wnd - self.rcv_adv
            if grown >= 2 * self.mss or 2 * grown >= self.link.recv_window:
                self._send_ack()  # window update

    def _send_ack(self) -> None:
        self.unacked_bytes = 0
        wnd = self.link.recv_window - self.unread
        ack = self.rcv_nxt
        self.rcv_adv = ack + wnd
        s = self.server
        s.cpu.run(s.per_packet, self._emit_ack, ack, wnd)

    def _emit_ack(self, ack: int, wnd: int) -> None:
        if not self.failed and not self.finished:
            self.ack_segments += 1
            self.server.nic.send(self.ctl_wire, self._ack_arrived, ack, wnd)

    # ------------------------------------------------------------------ failure

    def _fail(self, reason: str) -> None:
        if not self.failed and not self.finished:
            self.failed = True
            self.on_fail(reason)


def _nothing() -> None:
    """A CPU job with no follow-up (the handshake's last ACK)."""
