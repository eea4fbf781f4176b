/** The source institution of an item, with its level (村卫生室 / 乡镇卫生院 / 县医院 …). */
import { Tag } from 'antd';
import type { Organization } from '../../api/types';
import { orgType } from '../../api/format';

export function Source({ orgId, orgs }: { orgId?: string; orgs?: Map<string, Organization> }) {
  if (!orgId) return <span style={{ color: '#8c8c8c' }}>—</span>;
  const o = orgs?.get(orgId);
  const level = orgType(o);
  return (
    <span className="source" style={{ color: '#595959' }}>
      {o?.name ?? orgId}
      {level && (
        <Tag bordered={false} style={{ marginLeft: 4 }}>
          {level}
        </Tag>
      )}
    </span>
  );
}
