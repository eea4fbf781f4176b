/**
 * The requester's upload on a case page (images, tracing): sends the files for the case's request, then says what
 * became of them in a notice and reloads the case; a refusal shows as the case's error.
 */
import { useState } from 'react';
import { Alert } from 'antd';
import { useMutation } from '@tanstack/react-query';
import { useI18n } from '../i18n';
import type { CaseDetail, Text } from './api';
import type { ReadingCase } from './useReadingCase';

export function useCaseUpload<D extends CaseDetail, F, R>(
  rc: ReadingCase<D>,
  send: (serviceRequestId: string, files: F) => Promise<R>,
  noticeOf: (result: R) => Text,
) {
  const { pick } = useI18n();
  const [notice, setNotice] = useState<string>();
  const upload = useMutation({
    mutationFn: (files: F) => send(rc.d!.case.serviceRequest.replace('ServiceRequest/', ''), files),
    onSuccess: (r) => {
      rc.setError(undefined);
      setNotice(pick(noticeOf(r)));
      rc.refresh();
    },
    onError: rc.setError,
  });
  const noticeAlert = notice ? (
    <Alert type="success" showIcon message={notice} style={{ marginBottom: 12 }} data-testid="upload-notice" />
  ) : null;
  return { upload, notice: noticeAlert };
}
