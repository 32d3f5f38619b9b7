"""uvicorn's worker supervisor, with each worker on a listening socket of its own.

uvicorn hands every worker the same listening socket, and asyncio accepts every
waiting connection in one go: 32 kept-alive connections opened at once all went
to one of two workers while the other idled (docs/performance.md). With one
``SO_REUSEPORT`` socket per worker slot the kernel spreads new connections over
the slots. A replacement worker takes over its slot's socket, whose queue would
otherwise wait for nobody; so the number of workers is fixed while running.
"""

from __future__ import annotations

import os
import socket

from uvicorn.config import STARTUP_FAILURE, Config
from uvicorn.supervisors.multiprocess import Multiprocess, Process, logger

from service.api.balance import SLOT_ENV


class Supervisor(Multiprocess):
    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        if len(sockets) != config.workers:
            raise ValueError(f"one socket per worker: {len(sockets)} sockets for {config.workers} workers")
        super().__init__(config, sockets=[])
        self.slot_sockets = sockets

    def _start(self, slot: int) -> Process:
        os.environ[SLOT_ENV] = str(slot)  # its row in the table of open connections (service.api.balance)
        process = Process(self.config, [self.slot_sockets[slot]])
        process.start()
        return process

    def init_processes(self) -> None:
        self.processes = [self._start(slot) for slot in range(self.processes_num)]

    def keep_subprocess_alive(self) -> None:
        for slot, process in enumerate(self.processes):
            if self.should_exit.is_set():
                return  # exiting: nothing to keep alive
            if process.is_alive(timeout=self.config.timeout_worker_healthcheck):
                continue
            process.kill()  # hung, or already gone
            process.join()
            if process.exitcode == STARTUP_FAILURE:  # the app cannot start: every restart would fail alike
                logger.error(f"Child process [{process.pid}] failed to start, stopping the parent process.")
                self.should_exit.set()
                return
            logger.info(f"Child process [{process.pid}] died")
            self.processes[slot] = self._start(slot)

    def restart_all(self) -> None:
        """SIGHUP: each slot's replacement serves before the worker it replaces stops."""
        for slot, old in enumerate(self.processes):
            if self.should_exit.is_set():
                return
            new = self._start(slot)
            if not new.wait_until_ready(self.config.timeout_worker_healthcheck, self.should_exit):
                new.kill()
                new.join()
                logger.error(f"New child process [{new.pid}] was not ready in time; keeping [{old.pid}].")
                return
            old.terminate()
            old.join()
            self.processes[slot] = new

    def handle_ttin(self) -> None:
        logger.info("Received SIGTTIN: the number of workers is fixed (CROSSCHECK_WORKERS); ignored.")

    def handle_ttou(self) -> None:
        logger.info("Received SIGTTOU: the number of workers is fixed (CROSSCHECK_WORKERS); ignored.")
