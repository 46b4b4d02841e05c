"""A small OTLP receiver (HTTP and gRPC) built on ``opentelemetry-proto``, for tests.

The real SDK exporters send to it; it decodes the real wire format and keeps every request so
tests can assert on spans and metric data points::

    with OtlpReceiver() as rx:                       # both transports on free loopback ports
        exporter = OTLPSpanExporter(endpoint=rx.http_url + "/v1/traces")
        ...
        rx.wait_for_spans(lambda names: "cache.load" in names)
        rx.span_names()                              # ["cache.load", ...]
"""

from __future__ import annotations

import gzip
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent import futures
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import grpc
from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2, metrics_service_pb2_grpc
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2, trace_service_pb2_grpc
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

__all__ = ["DataPoint", "OtlpReceiver", "ReceivedSpan"]


def _any_value(v: AnyValue) -> Any:
    kind = v.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_any_value(x) for x in v.array_value.values]
    if kind == "kvlist_value":
        return _attrs(v.kvlist_value.values)
    return getattr(v, kind)


def _attrs(kvs: Any) -> dict[str, Any]:
    return {kv.key: _any_value(kv.value) for kv in kvs if isinstance(kv, KeyValue)}


@dataclass(frozen=True)
class ReceivedSpan:
    name: str
    trace_id: bytes
    span_id: bytes
    parent_span_id: bytes
    start_ns: int
    end_ns: int
    attributes: dict[str, Any]
    scope: str
    resource: dict[str, Any]
    status_code: int
    transport: str


@dataclass(frozen=True)
class DataPoint:
    metric: str
    kind: str  # sum | gauge | histogram
    attributes: dict[str, Any]
    value: float | None  # sum/gauge value; histogram: None
    count: int | None  # histogram count
    sum: float | None  # histogram sum
    bucket_counts: tuple[int, ...]
    bounds: tuple[float, ...]
    scope: str
    unit: str
    is_monotonic: bool | None
    transport: str


class OtlpReceiver:
    """Receives OTLP/HTTP (protobuf, optionally gzip) and OTLP/gRPC on 127.0.0.1."""

    def __init__(self) -> None:
        self._lock = threading.Condition()
        self.trace_requests: list[tuple[str, trace_service_pb2.ExportTraceServiceRequest]] = []
        self.metric_requests: list[tuple[str, metrics_service_pb2.ExportMetricsServiceRequest]] = []
        self.http_headers: list[dict[str, str]] = []
        self.grpc_metadata: list[dict[str, str]] = []
        self._http: ThreadingHTTPServer | None = None
        self._grpc: grpc.Server | None = None
        self.http_port = 0
        self.grpc_port = 0

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> OtlpReceiver:
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                receiver._record_headers(dict(self.headers.items()))
                if self.path == "/v1/traces":
                    req = trace_service_pb2.ExportTraceServiceRequest.FromString(body)
                    receiver._add("trace", "http", req)
                    resp = trace_service_pb2.ExportTraceServiceResponse().SerializeToString()
                elif self.path == "/v1/metrics":
                    req2 = metrics_service_pb2.ExportMetricsServiceRequest.FromString(body)
                    receiver._add("metric", "http", req2)
                    resp = metrics_service_pb2.ExportMetricsServiceResponse().SerializeToString()
                elif self.path == "/v1/logs":
                    logs_service_pb2.ExportLogsServiceRequest.FromString(body)
                    resp = logs_service_pb2.ExportLogsServiceResponse().SerializeToString()
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.send_header("Content-Length", str(len(resp)))
                self.end_headers()
                self.wfile.write(resp)

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.http_port = int(self._http.server_address[1])
        threading.Thread(target=self._http.serve_forever, daemon=True, name="otlp-http").start()

        class Traces(trace_service_pb2_grpc.TraceServiceServicer):
            def Export(self, request: Any, context: Any) -> Any:
                receiver._record_metadata(context)
                receiver._add("trace", "grpc", request)
                return trace_service_pb2.ExportTraceServiceResponse()

        class Metrics(metrics_service_pb2_grpc.MetricsServiceServicer):
            def Export(self, request: Any, context: Any) -> Any:
                receiver._record_metadata(context)
                receiver._add("metric", "grpc", request)
                return metrics_service_pb2.ExportMetricsServiceResponse()

        self._grpc = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
        trace_service_pb2_grpc.add_TraceServiceServicer_to_server(Traces(), self._grpc)
        metrics_service_pb2_grpc.add_MetricsServiceServicer_to_server(Metrics(), self._grpc)
        self.grpc_port = self._grpc.add_insecure_port("127.0.0.1:0")
        self._grpc.start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._grpc is not None:
            self._grpc.stop(grace=None).wait(5)
            self._grpc = None

    def __enter__(self) -> OtlpReceiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def grpc_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.grpc_port}"

    # -- recording -------------------------------------------------------------------------
    def _record_headers(self, headers: dict[str, str]) -> None:
        with self._lock:
            self.http_headers.append({k.lower(): v for k, v in headers.items()})

    def _record_metadata(self, context: Any) -> None:
        with self._lock:
            self.grpc_metadata.append({k: v for k, v in context.invocation_metadata()})

    def _add(self, signal: str, transport: str, request: Any) -> None:
        with self._lock:
            if signal == "trace":
                self.trace_requests.append((transport, request))
            else:
                self.metric_requests.append((transport, request))
            self._lock.notify_all()

    def clear(self) -> None:
        with self._lock:
            self.trace_requests.clear()
            self.metric_requests.clear()

    # -- decoded views ---------------------------------------------------------------------
    def spans(self) -> list[ReceivedSpan]:
        out: list[ReceivedSpan] = []
        with self._lock:
            requests = list(self.trace_requests)
        for transport, req in requests:
            for rs in req.resource_spans:
                resource = _attrs(rs.resource.attributes)
                for ss in rs.scope_spans:
                    for s in ss.spans:
                        out.append(ReceivedSpan(
                            s.name, s.trace_id, s.span_id, s.parent_span_id,
                            s.start_time_unix_nano, s.end_time_unix_nano, _attrs(s.attributes),
                            ss.scope.name, resource, s.status.code, transport,
                        ))  # fmt: skip
        return out

    def span_names(self) -> list[str]:
        return [s.name for s in self.spans()]

    def data_points(self, metric: str | None = None) -> list[DataPoint]:
        out: list[DataPoint] = []
        with self._lock:
            requests = list(self.metric_requests)
        for transport, req in requests:
            for rm in req.resource_metrics:
                for sm in rm.scope_metrics:
                    for m in sm.metrics:
                        if metric is not None and m.name != metric:
                            continue
                        out.extend(_points(m, sm.scope.name, transport))
        return out

    def latest_value(self, metric: str, **attributes: Any) -> float | None:
        """The value of the newest data point of ``metric`` whose attributes include these."""
        matches = [
            p for p in self.data_points(metric)
            if all(p.attributes.get(k) == v for k, v in attributes.items())
        ]  # fmt: skip
        return matches[-1].value if matches else None

    def wait_for(self, predicate: Callable[[OtlpReceiver], bool], timeout: float = 15.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                self._lock.release()
                try:
                    if predicate(self):
                        return True
                finally:
                    self._lock.acquire()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._lock.wait(min(remaining, 0.2))


def _points(m: Any, scope: str, transport: str) -> Iterator[DataPoint]:
    kind = m.WhichOneof("data")
    if kind in ("sum", "gauge"):
        data = getattr(m, kind)
        monotonic = data.is_monotonic if kind == "sum" else None
        for p in data.data_points:
            value = p.as_double if p.WhichOneof("value") == "as_double" else p.as_int
            yield DataPoint(m.name, kind, _attrs(p.attributes), float(value), None, None, (), (),
                            scope, m.unit, monotonic, transport)  # fmt: skip
    elif kind == "histogram":
        for p in m.histogram.data_points:
            yield DataPoint(m.name, kind, _attrs(p.attributes), None, int(p.count), float(p.sum),
                            tuple(p.bucket_counts), tuple(p.explicit_bounds), scope, m.unit, None,
                            transport)  # fmt: skip
