/** Administrator (系统管理员): users, institutions, audit. */
import { Card, Col, Row } from 'antd';
import { Link } from 'react-router-dom';
import { useI18n, type TextKey } from '../i18n';
import { Counts } from './common';

const LINKS: [TextKey, string][] = [
  ['users', '/manage/users'],
  ['institutions', '/manage/institutions'],
  ['audit', '/manage/audit'],
  ['breakGlassReport', '/manage/break-glass'],
];

export function AdminBench() {
  const { t } = useI18n();
  return (
    <>
      <Counts
        specs={[
          { label: 'institutions', type: 'Organization' },
          { label: 'residentsTotal', type: 'Patient' },
        ]}
      />
      <Row gutter={[12, 12]} style={{ marginTop: 12 }}>
        {LINKS.map(([label, path]) => (
          <Col key={path} xs={12} md={6}>
            <Link to={path}>
              <Card hoverable size="small">
                {t(label)}
              </Card>
            </Link>
          </Col>
        ))}
      </Row>
    </>
  );
}
