/**
 * A plain web viewer: each instance of the study as the archive renders it (WADO-RS rendered frame, PNG), fetched with
 * the user's token through Yiwang's /dicomweb; previous/next through the series. No viewer to download.
 */
import { useEffect, useMemo, useState } from 'react';
import { Button, Empty, Space, Spin, Typography } from 'antd';
import { useI18n } from '../../i18n';
import { ErrorAlert } from '../../components/ErrorAlert';
import { renderedFrame } from './api';
import { TX } from './texts';

interface Study {
  identifier?: { system?: string; value?: string }[];
  series?: { uid: string; modality?: { code?: string }; description?: string; instance?: { uid: string; number?: number }[] }[];
}

export function Viewer({ study }: { study?: Study }) {
  const { pick } = useI18n();
  const studyUid = study?.identifier?.find((i) => i.system === 'urn:dicom:uid')?.value?.replace(/^urn:oid:/, '');
  const frames = useMemo(
    () =>
      (study?.series ?? []).flatMap((s) =>
        [...(s.instance ?? [])]
          .sort((a, b) => (a.number ?? 0) - (b.number ?? 0))
          .map((i) => ({ series: s.uid, sop: i.uid, modality: s.modality?.code, description: s.description })),
      ),
    [study],
  );
  const [index, setIndex] = useState(0);
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState<unknown>();
  const frame = frames[Math.min(index, frames.length - 1)];
  useEffect(() => {
    if (!studyUid || !frame) return;
    const abort = new AbortController();
    let made: string | undefined;
    setError(undefined);
    renderedFrame(studyUid, frame.series, frame.sop, abort.signal)
      .then((u) => {
        made = u;
        setUrl(u);
      })
      .catch((e: unknown) => {
        if (!abort.signal.aborted) setError(e);
      });
    return () => {
      abort.abort();
      if (made) URL.revokeObjectURL(made);
    };
  }, [studyUid, frame]);
  if (!studyUid || !frames.length) return <Empty description={pick(TX.noImages)} />;
  return (
    <div data-testid="imaging-viewer">
      {error ? <ErrorAlert error={error} /> : null}
      <div
        style={{ background: '#000', textAlign: 'center', minHeight: 240, display: 'flex', alignItems: 'center', justifyContent: 'center' }}
      >
        {url ? (
          <img
            src={url}
            alt={pick(TX.instance)}
            data-testid="imaging-frame"
            style={{ maxWidth: '100%', maxHeight: 512, imageRendering: 'pixelated', minWidth: 256 }}
          />
        ) : (
          <Spin />
        )}
      </div>
      <Space style={{ marginTop: 8 }} wrap>
        <Button disabled={index <= 0} onClick={() => setIndex(index - 1)}>
          {pick(TX.prev)}
        </Button>
        <Typography.Text>
          {pick(TX.instance)} {index + 1} / {frames.length} · {frame?.modality} {frame?.description ?? ''}
        </Typography.Text>
        <Button disabled={index >= frames.length - 1} onClick={() => setIndex(index + 1)}>
          {pick(TX.next)}
        </Button>
      </Space>
    </div>
  );
}
