/** The institution tree (Organization.partOf) with levels and centre roles (urn:yiwang:centre-role). */
import { Card, Spin, Tag, Tree } from 'antd';
import type { DataNode } from 'antd/es/tree';
import type { Organization } from '../../api/types';
import { centreRoles, orgType, refId } from '../../api/format';
import { useOrganizations } from '../../hooks';
import { useI18n } from '../../i18n';

function treeOf(orgs: Map<string, Organization>): DataNode[] {
  const children = new Map<string, Organization[]>();
  const roots: Organization[] = [];
  for (const o of orgs.values()) {
    const parent = refId(o.partOf, 'Organization');
    if (parent && orgs.has(parent)) children.set(parent, [...(children.get(parent) ?? []), o]);
    else roots.push(o);
  }
  const node = (o: Organization): DataNode => ({
    key: o.id!,
    title: (
      <span className="org-node">
        {o.name}
        {orgType(o) && <Tag style={{ marginLeft: 6 }}>{orgType(o)}</Tag>}
        {centreRoles(o).map((c) => (
          <Tag key={c} color="blue">
            {c}
          </Tag>
        ))}
      </span>
    ),
    children: (children.get(o.id!) ?? []).sort((a, b) => (a.name ?? '').localeCompare(b.name ?? '', 'zh')).map(node),
  });
  return roots.map(node);
}

export default function Institutions() {
  const { t } = useI18n();
  const orgs = useOrganizations();
  return (
    <Card title={`${t('institutions')} (${orgs.data?.size ?? '…'})`}>
      {orgs.data ? (
        <Tree
          treeData={treeOf(orgs.data)}
          defaultExpandAll={false}
          defaultExpandedKeys={[...orgs.data.keys()].slice(0, 1)}
          data-testid="org-tree"
          showLine
        />
      ) : (
        <Spin />
      )}
    </Card>
  );
}
